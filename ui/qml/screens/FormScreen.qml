import QtQuick
import "../components"

// One question per screen: the typed answer shown large, the keypad beside it (or big choices).
Item {
    id: screen
    readonly property bool isChoice: (k.view.kind || "") === "choice"
    readonly property bool isText: (k.view.kind || "") === "text"
    readonly property bool usesKeyboard: isText && uiFlags.virtualKeyboard
    Column {
        id: left
        width: screen.isChoice ? parent.width : parent.width - keypad.width - theme.t.margin
        spacing: theme.t.gap
        Text {
            visible: text !== "" && !screen.isText
            text: k.view.greeting || ""
            font.pixelSize: theme.t.smallSize; font.family: theme.t.fontFamily
            color: theme.t.muted
        }
        Heading { width: parent.width; notice: k.view.notice || "" }
        Rectangle {
            objectName: "answerField"
            visible: !screen.isChoice
            width: parent.width
            height: theme.t.target * (screen.isText ? 1.0 : 1.3)
            radius: theme.t.radius
            color: theme.t.surface
            border.width: theme.t.borderWidth + 1
            border.color: (k.view.error || "") !== "" ? theme.t.error : theme.t.primary
            Accessible.role: Accessible.EditableText
            Accessible.name: k.view.title || ""
            // With the optional Pinyin keyboard, free text is typed here (and the letter keys hide).
            TextInput {
                id: freeText
                objectName: "freeTextInput"
                visible: screen.usesKeyboard
                anchors.verticalCenter: parent.verticalCenter
                x: theme.t.gap
                width: parent.width - theme.t.gap * 2
                font.pixelSize: theme.t.titleSize
                font.family: theme.t.fontFamily
                color: theme.t.text
                focus: visible
                // The answer is personal: the input method keeps no user dictionary or predictions of it (A11).
                inputMethodHints: Qt.ImhSensitiveData | Qt.ImhNoPredictiveText
                text: k.view.draft || ""
                onTextEdited: k.act("set", text)
                Accessible.role: Accessible.EditableText
                Accessible.name: k.view.title || ""
            }
            Text {
                visible: !screen.usesKeyboard
                anchors.verticalCenter: parent.verticalCenter
                x: theme.t.gap
                width: parent.width - theme.t.gap * 2
                text: (k.view.draft || "") + "▏"
                font.pixelSize: theme.t.titleSize
                font.letterSpacing: 2
                color: theme.t.text
                elide: Text.ElideLeft
            }
        }
        Notice { width: parent.width; text: k.view.error || ""; isError: true }

        OptionGrid {
            visible: screen.isChoice
            width: parent.width
            options: k.view.options || []
            cols: theme.t.elder ? 1 : 2
        }
    }
    LetterPad {
        objectName: "letterPad"
        visible: screen.isText && !screen.usesKeyboard
        anchors.bottom: parent.bottom
        width: left.width
        formInput: true
    }
    // "Next" sits under the keypad, where the finger already is.
    ActionRow {
        anchors.bottom: parent.bottom
        anchors.right: parent.right
        buttonWidth: keypad.width
    }
    Keypad {
        id: keypad
        visible: !screen.isChoice
        anchors.right: parent.right
        anchors.top: parent.top
        extraKeys: k.view.extraKeys || []
    }
}
