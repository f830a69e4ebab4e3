import QtQuick

// Letters: for pinyin search ("gjj" finds 公积金) or for codes in a form answer; one tap per letter.
Column {
    id: pad
    property string query: ""
    property bool formInput: false  // true: letters go to the form answer as keypad keys
    spacing: theme.t.gap * 0.75
    Repeater {
        model: ["QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM"]
        Row {
            required property string modelData
            anchors.horizontalCenter: parent.horizontalCenter
            spacing: theme.t.gap * 0.75
            Repeater {
                model: modelData.split("")
                KButton {
                    required property string modelData
                    width: Math.min(theme.t.target, (pad.width - 9 * theme.t.gap * 0.75) / 10)
                    height: theme.t.target
                    label: modelData
                    onActivated: pad.formInput ? k.act("key", modelData)
                                               : k.act("type", pad.query + modelData.toLowerCase())
                }
            }
        }
    }
    Row {
        visible: !pad.formInput
        anchors.horizontalCenter: parent.horizontalCenter
        spacing: theme.t.gap
        KButton {
            width: theme.t.target * 3
            label: "⌫ " + k.s["action.delete"]
            onActivated: k.act("type", pad.query.slice(0, -1))
        }
        KButton {
            width: theme.t.target * 3
            label: k.s["action.clear"]
            onActivated: k.act("type", "")
        }
    }
}
