import QtQuick
import "../components"

Item {
    id: screen
    Column {
        id: top
        width: parent.width
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
    }
    Flickable {
        anchors.top: top.bottom
        anchors.topMargin: theme.t.gap
        anchors.bottom: pad.top
        anchors.bottomMargin: theme.t.gap
        width: parent.width
        contentHeight: results.implicitHeight
        clip: true
        boundsBehavior: Flickable.StopAtBounds
        OptionGrid { id: results; width: parent.width; options: k.view.options || []; action: "item" }
    }
    LetterPad {
        id: pad
        anchors.bottom: parent.bottom
        width: parent.width
        query: k.view.query || ""
    }
}
