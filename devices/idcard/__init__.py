"""The resident ID card reader (SAM module over serial): codec, card decoding, driver."""
