import QtQuick

// The kiosk's own numeric keypad (ID numbers, phone numbers, amounts): no system input method involved.
Grid {
    id: pad
    property var extraKeys: []
    columns: 3
    spacing: theme.t.gap
    Accessible.role: Accessible.Grouping
    Accessible.name: k.s["keypad.label"]
    Repeater {
        model: ["1", "2", "3", "4", "5", "6", "7", "8", "9"]
        KButton {
            required property string modelData
            width: theme.t.keypadKey * 1.3; height: theme.t.keypadKey * 0.8
            label: modelData
            fontSize: theme.t.titleSize
            onActivated: k.act("key", modelData)
        }
    }
    KButton {
        width: theme.t.keypadKey * 1.3; height: theme.t.keypadKey * 0.8
        label: pad.extraKeys.length > 0 ? pad.extraKeys[0] : k.s["action.clear"]
        fontSize: pad.extraKeys.length > 0 ? theme.t.titleSize : theme.t.bodySize
        onActivated: pad.extraKeys.length > 0 ? k.act("key", pad.extraKeys[0]) : k.act("clear", "")
    }
    KButton {
        width: theme.t.keypadKey * 1.3; height: theme.t.keypadKey * 0.8
        label: "0"
        fontSize: theme.t.titleSize
        onActivated: k.act("key", "0")
    }
    KButton {
        width: theme.t.keypadKey * 1.3; height: theme.t.keypadKey * 0.8
        label: "⌫ " + k.s["action.delete"]
        onActivated: k.act("delete", "")
    }
}
