import QtQuick
import "components"

Rectangle {
    id: bar
    height: theme.t.barHeight + (offline.visible ? offline.height : 0)
    color: theme.t.primary
    Row {
        id: content
        height: theme.t.barHeight
        anchors.left: parent.left
        anchors.leftMargin: theme.t.margin
        anchors.right: buttons.left
        spacing: theme.t.gap
        Text {
            anchors.verticalCenter: parent.verticalCenter
            width: parent.width
            text: k.s["app.name"]
            color: theme.t.onPrimary
            font.pixelSize: theme.t.bodySize
            font.family: theme.t.fontFamily
            font.bold: true
            elide: Text.ElideRight
        }
    }
    Row {
        id: buttons
        anchors.right: parent.right
        anchors.rightMargin: theme.t.margin
        y: (theme.t.barHeight - theme.t.target) / 2
        spacing: theme.t.gap
        KButton {
            objectName: "languageButton"
            label: k.s["chrome.language"]
            height: theme.t.target
            onActivated: k.setLanguage(k.language === "zh_CN" ? "en" : "zh_CN")
        }
        KButton {
            objectName: "elderButton"
            label: k.elder ? k.s["chrome.elder_off"] : k.s["chrome.elder_on"]
            height: theme.t.target
            onActivated: k.setElder(!k.elder)
        }
        KButton {
            objectName: "callStaffButton"
            label: "☎ " + k.s["chrome.call_staff"]
            height: theme.t.target
            primary: false
            onActivated: k.callStaff()
        }
    }
    Rectangle {
        id: offline
        objectName: "offlineIndicator"
        visible: !k.online
        anchors.bottom: parent.bottom
        width: parent.width
        height: offlineText.implicitHeight + theme.t.gap
        color: theme.t.offlineBg
        Accessible.role: Accessible.StatusBar
        Accessible.name: offlineText.text
        Text {
            id: offlineText
            anchors.centerIn: parent
            width: parent.width - theme.t.margin * 2
            text: "⚠ " + k.s["chrome.offline"]
            color: theme.t.onOffline
            font.pixelSize: theme.t.smallSize
            font.family: theme.t.fontFamily
            wrapMode: Text.Wrap
            horizontalAlignment: Text.AlignHCenter
        }
    }
}
