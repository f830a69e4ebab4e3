import QtQuick

// Screen title, subtitle and notice (a notice is also announced: errors never by colour alone).
Column {
    id: heading
    property string title: k.view.title || ""
    property string subtitle: k.view.subtitle || ""
    property string notice: k.view.notice || ""
    spacing: theme.t.gap * 0.5
    Text {
        width: parent.width
        text: heading.title
        visible: text !== ""
        font.pixelSize: theme.t.titleSize
        font.family: theme.t.fontFamily
        font.bold: true
        color: theme.t.text
        wrapMode: Text.Wrap
        lineHeight: 1.3
        Accessible.role: Accessible.Heading
        Accessible.name: text
    }
    Text {
        width: parent.width
        text: heading.subtitle
        visible: text !== ""
        font.pixelSize: theme.t.bodySize
        font.family: theme.t.fontFamily
        color: theme.t.muted
        wrapMode: Text.Wrap
        lineHeight: theme.t.lineHeight
    }
    Notice { width: parent.width; text: heading.notice }
}
