import QtQuick

// The screen's buttons from the view: {action, value, label, primary}.
Row {
    id: row
    property var actions: k.view.actions || []
    property real buttonWidth: theme.t.target * 3
    spacing: theme.t.gap * 2
    Repeater {
        model: row.actions
        KButton {
            required property var modelData
            label: modelData.label
            primary: modelData.primary
            width: Math.max(implicitWidth, row.buttonWidth)
            onActivated: k.act(modelData.action, modelData.value)
        }
    }
}
