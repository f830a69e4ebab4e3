import QtQuick
import "../components"

// Home. Standard: most-used items on the left; departments and life events on the right; search and
// tracking. Elder mode, when the catalogue has sections (the view lists them): the few big sections
// as very large buttons under the title, with search and tracking, and nothing else.
Item {
    id: screen
    readonly property real colGap: theme.t.margin
    readonly property var sections: k.view.sections || []

    Item {
        anchors.fill: parent
        visible: screen.sections.length === 0
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

    Item {
        id: elderHome
        objectName: "elderSections"
        anchors.fill: parent
        visible: screen.sections.length > 0
        // Five sections: a row of three over a row of two, each row centred.
        readonly property int perRow: screen.sections.length > 4 ? 3 : 2
        readonly property int rowCount: Math.ceil(screen.sections.length / perRow)
        readonly property real spacing: theme.t.gap * 2
        readonly property real buttonWidth: (width - spacing * (perRow - 1)) / perRow

        // The subtitle (which names the sections) is spoken, not shown: the buttons say it.
        Heading {
            id: elderHeading
            anchors.left: parent.left
            anchors.right: elderActions.left
            anchors.rightMargin: theme.t.margin
            subtitle: ""
        }
        ActionRow { id: elderActions; anchors.right: parent.right; anchors.top: parent.top }

        Column {
            id: sectionRows
            anchors.top: parent.top
            anchors.topMargin: Math.max(elderHeading.height, elderActions.height) + elderHome.spacing
            anchors.bottom: parent.bottom
            width: parent.width
            spacing: elderHome.spacing
            Repeater {
                model: elderHome.rowCount
                Row {
                    required property int index
                    anchors.horizontalCenter: parent.horizontalCenter
                    spacing: elderHome.spacing
                    Repeater {
                        model: screen.sections.slice(index * elderHome.perRow, (index + 1) * elderHome.perRow)
                        KButton {
                            required property var modelData
                            objectName: "sectionButton_" + modelData.code
                            width: elderHome.buttonWidth
                            fixedHeight: (sectionRows.height - sectionRows.spacing * (elderHome.rowCount - 1))
                                         / elderHome.rowCount
                            label: modelData.label
                            primary: true
                            // Chinese section names are two or three characters: they take the huge size.
                            fontSize: k.language === "en" ? theme.t.titleSize : theme.t.hugeSize
                            onActivated: k.act("section", modelData.code)
                        }
                    }
                }
            }
        }
    }
}
