import QtQuick
import "components"

// The kiosk window: top bar (offline, language, elder mode, call staff), the current screen,
// bottom bar (back, home, step), and the idle countdown. Views only: every decision is in Python.
Window {
    id: root
    width: 1920
    height: 1080
    color: theme.t.background
    title: k.s["app.name"]
    flags: Qt.FramelessWindowHint

    readonly property var screens: ({
        "attract": "Attract", "home": "Home", "search": "Search", "form": "Form",
        "identify": "Identify", "receipt_qr": "ReceiptQr", "submitting": "Working",
        "querying": "Working", "booking": "Working", "tracking": "Working", "printing": "Working",
        "track_scan": "Identify"
    })
    readonly property string screenName: k.view.screen || "attract"

    Item {
        id: frame
        anchors.fill: parent

        // Any tap anywhere restarts the idle timer (passive: it never steals the tap).
        TapHandler {
            gesturePolicy: TapHandler.DragThreshold
            grabPermissions: PointerHandler.ApprovesTakeOverByAnything
            onTapped: k.touch()
        }

        TopBar { id: topBar; anchors.left: parent.left; anchors.right: parent.right; anchors.top: parent.top }

        Loader {
            id: screenLoader
            objectName: "screenLoader"
            anchors.top: topBar.bottom
            anchors.bottom: bottomBar.top
            anchors.left: parent.left
            anchors.right: parent.right
            anchors.margins: theme.t.margin
            source: "screens/" + (root.screens[root.screenName] || "Generic") + "Screen.qml"
        }

        // Back, home and the step indicator; never on the attract screen, so it comes with the core.
        Loader {
            id: bottomBar
            height: theme.t.target + theme.t.gap
            anchors.left: parent.left
            anchors.right: parent.right
            anchors.bottom: parent.bottom
            active: k.ready
            source: "BottomBar.qml"
        }

        // The optional Pinyin keyboard, loaded only when enabled (Qt Virtual Keyboard is GPLv3 or
        // commercial). It slides up from the bottom; the answer field sits high enough to stay visible.
        Loader {
            objectName: "keyboardLoader"
            active: uiFlags.virtualKeyboard && k.ready
            anchors.left: parent.left
            anchors.right: parent.right
            anchors.bottom: parent.bottom
            source: "KeyboardPanel.qml"
        }

        // The overlays come with the core (k.ready): the first frame is the attract screen alone.
        Loader { anchors.fill: parent; active: k.ready; source: "IdleOverlay.qml" }
        Loader { anchors.fill: parent; active: k.ready; source: "StaffOverlay.qml" }
        Loader { anchors.fill: parent; active: k.ready; source: "SpeechPanel.qml" }
    }
}
