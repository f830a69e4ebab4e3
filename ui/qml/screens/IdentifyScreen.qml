import QtQuick
import "../components"

// Place the ID card or show the identity code (also used to scan a receipt's tracking code).
Item {
    id: screen
    Column {
        id: col
        width: parent.width * 0.55
        spacing: theme.t.gap * 2
        Heading { width: parent.width }
        Repeater {
            model: k.view.lines || []
            Text {
                required property string modelData
                width: col.width
                text: "• " + modelData
                font.pixelSize: theme.t.bodySize; font.family: theme.t.fontFamily
                color: theme.t.text
                wrapMode: Text.Wrap
                lineHeight: theme.t.lineHeight
            }
        }
    }
    // The card moving down onto the reader.
    Item {
        anchors.right: parent.right
        anchors.verticalCenter: parent.verticalCenter
        width: parent.width * 0.4
        height: parent.height * 0.8
        Rectangle {
            id: reader
            anchors.bottom: parent.bottom
            anchors.horizontalCenter: parent.horizontalCenter
            width: parent.width * 0.8
            height: parent.height * 0.25
            radius: theme.t.radius
            color: theme.t.muted
            Text {
                anchors.centerIn: parent
                text: k.view.screen === "track_scan" ? "▣ QR" : "ID ▭"
                color: theme.t.onPrimary
                font.pixelSize: theme.t.titleSize
            }
        }
        Rectangle {
            id: card
            width: reader.width * 0.6
            height: width * 0.63
            x: (parent.width - width) / 2
            radius: theme.t.radius
            color: theme.t.surface
            border.width: theme.t.borderWidth
            border.color: theme.t.primary
            Text {
                anchors.centerIn: parent
                text: k.view.screen === "track_scan" ? "▦" : "ID"
                font.pixelSize: theme.t.hugeSize
                color: theme.t.primary
            }
            SequentialAnimation on y {
                loops: Animation.Infinite
                running: !uiFlags.headless
                NumberAnimation { from: 0; to: reader.y - card.height * 0.5; duration: 1600; easing.type: Easing.InOutQuad }
                PauseAnimation { duration: 600 }
            }
        }
    }
}
