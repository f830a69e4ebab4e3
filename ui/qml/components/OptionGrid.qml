import QtQuick

// A grid of big choice buttons; each option is {code, label, badge, enabled?, selected?}.
Grid {
    id: grid
    property var options: []
    property string action: "choose"
    property int cols: theme.t.elder ? 2 : 3
    property real rowHeight: 0  // 0: each row as tall as its content
    columns: cols
    spacing: theme.t.gap * 1.5
    Repeater {
        model: grid.options
        KButton {
            required property var modelData
            objectName: "option_" + modelData.code
            width: (grid.width - grid.spacing * (grid.cols - 1)) / grid.cols
            label: modelData.label
            sublabel: modelData.badge || ""
            enabledState: modelData.enabled === undefined ? true : modelData.enabled
            selected: modelData.selected === true
            fixedHeight: grid.rowHeight
            onActivated: k.act(grid.action, modelData.code)
        }
    }
}
