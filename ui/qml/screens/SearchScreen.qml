import QtQuick
import "../components"

// Search: the letter pad on the right, the typed letters and the results on the left.
Item {
    id: screen
    Column {
        id: left
        width: parent.width - pad.width - theme.t.margin
        spacing: theme.t.gap
        Heading { width: parent.width }
        Rectangle {
            objectName: "searchField"
            width: parent.width
            height: theme.t.target
            color: theme.t.surface
            border.width: theme.t.borderWidth
            border.color: theme.t.primary
            radius: theme.t.radius
            Accessible.role: Accessible.EditableText
            Accessible.name: k.view.subtitle || ""
            Text {
                anchors.verticalCenter: parent.verticalCenter
                x: theme.t.gap
                text: (k.view.query || "") + "▏"
                font.pixelSize: theme.t.titleSize
                font.family: theme.t.fontFamily
                color: theme.t.text
            }
        }
        OptionGrid { width: parent.width; options: (k.view.options || []).slice(0, theme.t.elder ? 3 : 5); action: "item"; cols: 1 }
    }
    LetterPad {
        id: pad
        anchors.right: parent.right
        anchors.verticalCenter: parent.verticalCenter
        width: Math.min(theme.t.target * 10 + theme.t.gap * 7, screen.width * 0.64)
        query: k.view.query || ""
    }
}
