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
            width: Math.max(implicitWidth, theme.t.target * 4)
            onActivated: k.act(modelData.action, modelData.value)
        }
    }
}
