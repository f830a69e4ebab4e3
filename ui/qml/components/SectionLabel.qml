import QtQuick

Text {
    font.pixelSize: theme.t.bodySize
    font.family: theme.t.fontFamily
    font.bold: true
    color: theme.t.text
    Accessible.role: Accessible.Heading
    Accessible.name: text
}
