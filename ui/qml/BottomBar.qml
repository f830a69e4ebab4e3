import QtQuick
import "components"

Rectangle {
    id: bar
    height: theme.t.target + theme.t.gap
    color: theme.t.surface
    border.width: 1
    border.color: theme.t.border
    visible: (k.view.screen || "attract") !== "attract"
    KButton {
        objectName: "backButton"
        anchors.left: parent.left
        anchors.leftMargin: theme.t.margin
        anchors.verticalCenter: parent.verticalCenter
        visible: k.view.canBack === true
        label: "‹ " + k.s["chrome.back"]
        width: theme.t.target * 2.5
        onActivated: k.act("back", "")
    }
    KButton {
        objectName: "homeButton"
        anchors.left: parent.left
        anchors.leftMargin: theme.t.margin + theme.t.target * 2.5 + theme.t.gap * 2
        anchors.verticalCenter: parent.verticalCenter
        visible: k.view.canHome === true
        label: "⌂ " + k.s["chrome.home"]
        width: theme.t.target * 2.5
        onActivated: k.act("home", "")
    }
    // "第 2 步 / 共 4 步" and, on a long list, "第 1 页 / 共 2 页" beside it: the step stays in view (A19).
    Row {
        anchors.centerIn: parent
        spacing: theme.t.gap * 2
        Text {
            objectName: "stepIndicator"
            visible: text !== ""
            text: k.view.stepText || ""
            font.pixelSize: theme.t.bodySize
            font.family: theme.t.fontFamily
            font.bold: true
            color: theme.t.text
        }
        Text {
            objectName: "pageIndicator"
            visible: text !== ""
            text: k.view.pageText || ""
            font.pixelSize: theme.t.bodySize
            font.family: theme.t.fontFamily
            color: theme.t.text
        }
    }
    KButton {
        objectName: "speechButton"
        anchors.right: parent.right
        anchors.rightMargin: theme.t.margin
        anchors.verticalCenter: parent.verticalCenter
        label: "♪ " + k.s["chrome.speech"]
        width: theme.t.target * 2.5
        onActivated: k.toggleSpeechPanel()
    }
}
