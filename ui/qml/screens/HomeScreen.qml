import QtQuick
import "../components"

// Home: most-used items on the left; departments and life events on the right; search and tracking.
// Elder mode shows fewer, bigger choices (most-used and life events; departments are one search away).
Item {
    id: screen
    readonly property real colGap: theme.t.margin
    Column {
        id: left
        width: (screen.width - screen.colGap) * 0.55
        spacing: theme.t.gap
        Heading { width: parent.width; subtitle: theme.t.elder ? "" : (k.view.subtitle || "") }
        ActionRow { }
        SectionLabel { text: k.s["screen.home.popular"] }
        OptionGrid {
            width: parent.width
            options: (k.view.popular || []).slice(0, theme.t.elder ? 4 : 6)
            action: "item"
            cols: 2
        }
    }
    Column {
        anchors.right: parent.right
        width: (screen.width - screen.colGap) * 0.45
        spacing: theme.t.gap
        SectionLabel { visible: !theme.t.elder; text: k.s["screen.home.departments"] }
        OptionGrid {
            visible: !theme.t.elder
            width: parent.width
            options: k.view.departments || []
            action: "group"
            // English department names are long: one per row keeps each on one or two lines.
            cols: k.language === "en" ? 1 : 2
        }
        SectionLabel { text: k.s["screen.home.life_events"] }
        OptionGrid { width: parent.width; options: k.view.lifeEvents || []; action: "group"; cols: 2 }
    }
}
