import QtQuick
import "components"

// Speech controls (A12): repeat, stop, louder, quieter. The close control is bottom-centre (A9).
Rectangle {
    id: overlay
    objectName: "speechPanel"
    visible: k.speechPanel
    color: "#B3000000"
    MouseArea { anchors.fill: parent }  // taps stop here, never reach the screen beneath
    Rectangle {
        anchors.centerIn: parent
        width: Math.min(parent.width * 0.7, theme.t.target * 14)
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
                text: k.s["chrome.volume"].replace("{volume}", k.volume)
                font.pixelSize: theme.t.titleSize
                font.family: theme.t.fontFamily
                color: theme.t.text
                horizontalAlignment: Text.AlignHCenter
            }
            Grid {
                anchors.horizontalCenter: parent.horizontalCenter
                columns: 2
                spacing: theme.t.gap * 1.5
                KButton {
                    objectName: "repeatButton"
                    width: theme.t.target * 4
                    label: "♪ " + k.s["chrome.repeat"]
                    primary: true
                    onActivated: speech.say(k.view.speech || "")
                }
                KButton {
                    objectName: "stopSpeechButton"
                    width: theme.t.target * 4
                    label: "■ " + k.s["chrome.stop_speech"]
                    onActivated: speech.stop()
                }
                KButton {
                    objectName: "volumeUpButton"
                    width: theme.t.target * 4
                    label: "+ " + k.s["chrome.volume_up"]
                    onActivated: k.changeVolume(10)
                }
                KButton {
                    objectName: "volumeDownButton"
                    width: theme.t.target * 4
                    label: "− " + k.s["chrome.volume_down"]
                    onActivated: k.changeVolume(-10)
                }
            }
            KButton {
                objectName: "speechCloseButton"
                anchors.horizontalCenter: parent.horizontalCenter
                label: k.s["chrome.close"]
                width: theme.t.target * 3
                onActivated: k.toggleSpeechPanel()
            }
        }
    }
}
