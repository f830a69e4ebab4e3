import QtQuick
import "../components"

// Submitting, querying, booking, printing: visible progress, never a frozen frame.
Item {
    id: screen
    Column {
        anchors.centerIn: parent
        width: parent.width * 0.7
        spacing: theme.t.gap * 3
        Item {
            width: theme.t.target * 1.5; height: width
            anchors.horizontalCenter: parent.horizontalCenter
            Rectangle {
                id: spinner
                objectName: "progressIndicator"
                anchors.fill: parent
                radius: width / 2
                color: "transparent"
                border.width: theme.t.gap
                border.color: theme.t.primary
                Accessible.role: Accessible.ProgressBar
                Accessible.name: k.view.title || ""
                Rectangle {
                    width: parent.border.width * 1.6; height: width; radius: width / 2
                    color: theme.t.surface
                    x: parent.width / 2 - width / 2
                    y: -width * 0.2
                }
                RotationAnimation on rotation {
                    running: !uiFlags.headless
                    loops: Animation.Infinite
                    from: 0; to: 360; duration: 1200
                }
            }
        }
        Heading { width: parent.width }
    }
}
