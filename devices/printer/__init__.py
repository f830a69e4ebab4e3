"""The ESC/POS receipt printer: receipt document, renderer, transports, status, preview and emulators."""
