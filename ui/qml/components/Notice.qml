import QtQuick

// A notice or error: an icon and words, never colour alone (A17).
Rectangle {
    id: notice
    property string text: ""
    property bool isError: false
    visible: text !== ""
    implicitHeight: visible ? row.implicitHeight + theme.t.gap * 2 : 0
    radius: theme.t.radius
    color: theme.t.surface
    border.width: theme.t.borderWidth
    border.color: isError ? theme.t.error : theme.t.warning
    Accessible.role: Accessible.AlertMessage
    Accessible.name: text
    Row {
        id: row
        x: theme.t.gap; y: theme.t.gap
        width: parent.width - theme.t.gap * 2
        spacing: theme.t.gap
        Text {
            id: icon
            text: notice.isError ? "✕" : "!"
            font.pixelSize: theme.t.bodySize
            font.bold: true
            color: notice.isError ? theme.t.error : theme.t.warning
        }
        Text {
            width: parent.width - icon.width - theme.t.gap
            text: notice.text
            font.pixelSize: theme.t.bodySize
            font.family: theme.t.fontFamily
            color: notice.isError ? theme.t.error : theme.t.text
            wrapMode: Text.Wrap
            lineHeight: theme.t.lineHeight
        }
    }
}
