import QtQuick
import "../components"

// The loop shown between citizens: touch anywhere to start.
Item {
    id: screen
    Accessible.role: Accessible.Pane
    Accessible.name: k.view.title || ""

    // Touch anywhere to start; declared first so the buttons above take their own taps.
    MouseArea { anchors.fill: parent; onClicked: k.act("start", "") }

    Rectangle {
        id: pulse
        anchors.centerIn: parent
        width: parent.width * 0.72
        height: content.implicitHeight + theme.t.margin * 2
        radius: theme.t.radius * 4
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
        id: content
        anchors.centerIn: parent
        width: pulse.width - theme.t.margin * 2
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
        Row {
            anchors.horizontalCenter: parent.horizontalCenter
            spacing: theme.t.gap * 3
            KButton {
                objectName: "startButton"
                label: k.s["screen.attract.start"]
                primary: true
                width: theme.t.target * 5
                height: theme.t.target * 1.4
                fontSize: theme.t.titleSize
                onActivated: k.act("start", "")
            }
            // The elder-mode switch, prominent on the first screen (A16).
            KButton {
                objectName: "attractElderButton"
                label: k.elder ? k.s["chrome.elder_off"] : k.s["chrome.elder_on"]
                width: theme.t.target * 4
                height: theme.t.target * 1.4
                fontSize: theme.t.titleSize
                onActivated: k.setElder(!k.elder)
            }
        }
    }
}
