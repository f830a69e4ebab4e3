import QtQuick
import "../components"

// The loop shown between citizens: touch anywhere to start.
Item {
    id: screen
    Accessible.role: Accessible.Pane
    Accessible.name: k.view.title || ""

    Rectangle {
        id: pulse
        anchors.centerIn: parent
        width: Math.min(parent.width, parent.height) * 0.9
        height: width
        radius: width / 2
        color: theme.t.surface
        border.width: theme.t.borderWidth
        border.color: theme.t.primary
        SequentialAnimation on scale {
            loops: Animation.Infinite
            running: screen.visible && !uiFlags.headless
            NumberAnimation { from: 1.0; to: 1.04; duration: 1400; easing.type: Easing.InOutQuad }
            NumberAnimation { from: 1.04; to: 1.0; duration: 1400; easing.type: Easing.InOutQuad }
        }
    }
    Column {
        anchors.centerIn: parent
        width: pulse.width * 0.8
        spacing: theme.t.gap * 2
        Text {
            width: parent.width
            text: k.view.title || ""
            font.pixelSize: theme.t.titleSize * 1.2
            font.family: theme.t.fontFamily
            font.bold: true
            color: theme.t.text
            wrapMode: Text.Wrap
            horizontalAlignment: Text.AlignHCenter
        }
        Text {
            width: parent.width
            text: k.view.subtitle || ""
            font.pixelSize: theme.t.bodySize
            font.family: theme.t.fontFamily
            color: theme.t.muted
            wrapMode: Text.Wrap
            horizontalAlignment: Text.AlignHCenter
            lineHeight: theme.t.lineHeight
        }
        Text {
            width: parent.width
            text: (k.view.lines || []).join("  ·  ")
            font.pixelSize: theme.t.smallSize
            font.family: theme.t.fontFamily
            color: theme.t.muted
            wrapMode: Text.Wrap
            horizontalAlignment: Text.AlignHCenter
        }
        KButton {
            objectName: "startButton"
            anchors.horizontalCenter: parent.horizontalCenter
            label: k.s["screen.attract.start"]
            primary: true
            width: theme.t.target * 5
            height: theme.t.target * 1.4
            fontSize: theme.t.titleSize
            onActivated: k.act("start", "")
        }
    }
    TapHandler { onTapped: k.act("start", "") }
}
