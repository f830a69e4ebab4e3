import QtQuick
import "components"

// The visible countdown (A10): one tap anywhere on it extends the session.
Rectangle {
    id: overlay
    objectName: "idleOverlay"
    visible: k.idlePhase === "warning"
    color: "#B3000000"
    MouseArea { anchors.fill: parent; onClicked: k.touch() }  // any tap extends; none reaches beneath
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
                text: k.s["idle.title"]
                font.pixelSize: theme.t.titleSize
                font.family: theme.t.fontFamily
                font.bold: true
                color: theme.t.text
                horizontalAlignment: Text.AlignHCenter
            }
            Text {
                objectName: "idleCountdown"
                width: parent.width
                text: k.idleRemaining
                font.pixelSize: theme.t.hugeSize
                font.bold: true
                color: theme.t.error
                horizontalAlignment: Text.AlignHCenter
            }
            Text {
                width: parent.width
                text: k.s["idle.body"].replace("{seconds}", k.idleRemaining)
                font.pixelSize: theme.t.bodySize
                font.family: theme.t.fontFamily
                color: theme.t.text
                wrapMode: Text.Wrap
                horizontalAlignment: Text.AlignHCenter
            }
            KButton {
                objectName: "idleExtendButton"
                anchors.horizontalCenter: parent.horizontalCenter
                label: k.s["idle.extend"]
                primary: true
                width: theme.t.target * 4
                onActivated: k.touch()
            }
        }
    }
}
