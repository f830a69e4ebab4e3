import QtQuick
import "components"

// Shown after "call staff": the close control is bottom-centre (A9).
Rectangle {
    id: overlay
    objectName: "staffOverlay"
    visible: k.staffCalled
    color: "#B3000000"
    MouseArea { anchors.fill: parent }  // taps stop here, never reach the screen beneath
    Rectangle {
        anchors.centerIn: parent
        width: Math.min(parent.width * 0.6, theme.t.target * 12)
        height: col.implicitHeight + theme.t.margin * 2
        radius: theme.t.radius
        color: theme.t.surface
        Column {
            id: col
            anchors.centerIn: parent
            width: parent.width - theme.t.margin * 2
            spacing: theme.t.gap * 2
            Text {
                width: parent.width
                text: "☎ " + k.s["chrome.call_staff_sent"]
                font.pixelSize: theme.t.titleSize
                font.family: theme.t.fontFamily
                color: theme.t.text
                wrapMode: Text.Wrap
                horizontalAlignment: Text.AlignHCenter
            }
            KButton {
                objectName: "staffCloseButton"
                anchors.horizontalCenter: parent.horizontalCenter
                label: k.s["chrome.close"]
                width: theme.t.target * 3
                onActivated: k.dismissStaff()
            }
        }
    }
}
