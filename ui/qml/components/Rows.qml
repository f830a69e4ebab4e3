import QtQuick

// Label / value rows (review, result, receipt summary).
Column {
    id: rows
    property var model: []
    spacing: 0
    Repeater {
        model: rows.model
        Rectangle {
            required property var modelData
            required property int index
            width: rows.width
            height: Math.max(labelText.implicitHeight, valueText.implicitHeight) + theme.t.gap * 0.6
            color: index % 2 === 0 ? theme.t.surface : theme.t.background
            Text {
                id: labelText
                x: theme.t.gap
                width: parent.width * 0.38
                anchors.verticalCenter: parent.verticalCenter
                text: modelData.label
                font.pixelSize: theme.t.bodySize
                font.family: theme.t.fontFamily
                color: theme.t.muted
                wrapMode: Text.Wrap
            }
            Text {
                id: valueText
                x: parent.width * 0.4
                width: parent.width * 0.58
                anchors.verticalCenter: parent.verticalCenter
                text: modelData.value
                font.pixelSize: theme.t.bodySize
                font.family: theme.t.fontFamily
                font.bold: true
                color: theme.t.text
                wrapMode: Text.WrapAnywhere
            }
        }
    }
}
