import QtQuick
import "../components"

// Lists, details and results: heading, an outcome mark, a big number, rows, lines, options; the
// screen's buttons stay pinned at the bottom so the next step is never out of sight.
Item {
    id: screen
    readonly property string outcome: k.view.outcome || ""
    ActionRow { id: actions; anchors.bottom: parent.bottom }
    Flickable {
    id: flick
    anchors.top: parent.top
    anchors.bottom: actions.top
    anchors.bottomMargin: theme.t.gap
    width: parent.width
    contentHeight: col.implicitHeight
    clip: true
    boundsBehavior: Flickable.StopAtBounds
    Column {
        id: col
        width: screen.width
        spacing: theme.t.gap * 0.6
        Row {
            width: parent.width
            spacing: theme.t.gap * 2
            Rectangle {
                id: mark
                visible: screen.outcome !== ""
                width: visible ? theme.t.target * 1.2 : 0
                height: width
                radius: width / 2
                color: screen.outcome === "approved" ? theme.t.success
                       : screen.outcome === "rejected" ? theme.t.error : theme.t.primary
                Text {
                    anchors.centerIn: parent
                    text: screen.outcome === "approved" ? "✓" : screen.outcome === "rejected" ? "✕" : "…"
                    font.pixelSize: theme.t.titleSize
                    font.bold: true
                    color: theme.t.onPrimary
                }
            }
            Heading {
                width: parent.width - mark.width - parent.spacing
                // Elder mode: on a list of services "choose a service" is spoken, not shown, so that two
                // rows of long names with their badges fit on the page.
                subtitle: theme.t.elder && ["group", "groups", "section"].indexOf(k.view.screen) >= 0
                          ? "" : (k.view.subtitle || "")
            }
        }
        Text {
            visible: text !== ""
            text: k.view.instant || ""
            font.pixelSize: theme.t.bodySize; font.family: theme.t.fontFamily; font.bold: true
            color: theme.t.success
            width: parent.width; wrapMode: Text.Wrap
        }
        Text {
            objectName: "bigNumber"
            visible: text !== ""
            text: k.view.big || ""
            font.pixelSize: theme.t.hugeSize * 1.5; font.bold: true
            color: theme.t.primary
        }
        Text {
            visible: (k.view.lines || []).length > 0 && k.view.screen === "item"
            text: k.s["item.needs"]
            font.pixelSize: theme.t.bodySize; font.family: theme.t.fontFamily; font.bold: true
            color: theme.t.text
        }
        Repeater {
            model: k.view.lines || []
            Text {
                required property string modelData
                width: col.width
                text: "• " + modelData
                font.pixelSize: theme.t.bodySize; font.family: theme.t.fontFamily
                color: screen.outcome === "rejected" ? theme.t.error : theme.t.text
                wrapMode: Text.Wrap
                lineHeight: theme.t.lineHeight
            }
        }
        Text {
            visible: text !== ""
            width: parent.width
            text: k.view.partnersLine || ""
            font.pixelSize: theme.t.bodySize; font.family: theme.t.fontFamily
            color: theme.t.text
            wrapMode: Text.Wrap
        }
        Rows { width: parent.width; model: k.view.rows || [] }
        Text {
            visible: k.view.loading === true
            text: "…"
            font.pixelSize: theme.t.titleSize
            color: theme.t.muted
        }
        OptionGrid {
            id: optionGrid
            objectName: "optionGrid"
            // Elder mode: a page's rows share the space left below the heading, whatever the labels'
            // lengths, so every button shows whole (its badge included) without scrolling.
            readonly property int pageRows: Math.ceil((k.view.pageSize || 0) / cols)
            width: parent.width
            rowHeight: theme.t.elder && pageRows > 0
                ? Math.max(theme.t.target, (flick.height - y - spacing * (pageRows - 1)) / pageRows) : 0
            options: k.view.options || []
            action: ({ "group": "item", "section": "item", "groups": "group", "partner": "partner" })[k.view.screen]
                    || "choose"
        }
    }
    }
}
