import QtQuick
import "../components"

Flickable {
    id: screen
    contentHeight: col.implicitHeight
    clip: true
    boundsBehavior: Flickable.StopAtBounds
    Column {
        id: col
        width: screen.width
        spacing: theme.t.gap * 2
        Heading { width: parent.width }
        ActionRow { }
        Text {
            text: k.s["screen.home.popular"]
            font.pixelSize: theme.t.bodySize; font.family: theme.t.fontFamily; font.bold: true
            color: theme.t.text
        }
        OptionGrid { width: parent.width; options: k.view.popular || []; action: "item" }
        Text {
            text: k.s["screen.home.departments"]
            font.pixelSize: theme.t.bodySize; font.family: theme.t.fontFamily; font.bold: true
            color: theme.t.text
        }
        OptionGrid { width: parent.width; options: k.view.departments || []; action: "group"; cols: theme.t.elder ? 3 : 5 }
        Text {
            text: k.s["screen.home.life_events"]
            font.pixelSize: theme.t.bodySize; font.family: theme.t.fontFamily; font.bold: true
            color: theme.t.text
        }
        OptionGrid { width: parent.width; options: k.view.lifeEvents || []; action: "group"; cols: theme.t.elder ? 2 : 4 }
    }
}
