import QtQuick

// The screen's buttons from the view: {action, value, label, primary}.
Row {
    id: row
    property var actions: k.view.actions || []
    spacing: theme.t.gap * 2
    Repeater {
        model: row.actions
        KButton {
            required property var modelData
            label: modelData.label
            primary: modelData.primary
            width: Math.max(implicitWidth, theme.t.keypadKey * 1.3 * 3 + theme.t.gap * 2)
            onActivated: k.act(modelData.action, modelData.value)
        }
    }
}
