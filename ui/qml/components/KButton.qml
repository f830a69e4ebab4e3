import QtQuick

// A touch button: one tap, never a drag. Named for the accessibility tree.
Rectangle {
    id: button
    property string label: ""
    property string sublabel: ""
    property bool primary: false
    property bool enabledState: true
    property bool selected: false
    property real fontSize: theme.t.bodySize
    // A height fixed by the layout (0: sized to the label). The label then keeps to the lines that fit,
    // so a long name never pushes the badge out of the button.
    property real fixedHeight: 0
    signal activated()

    implicitHeight: Math.max(theme.t.target, column.implicitHeight + theme.t.gap * 2)
    height: fixedHeight > 0 ? fixedHeight : implicitHeight
    implicitWidth: Math.max(theme.t.target * 2, column.implicitWidth + theme.t.gap * 3)
    radius: theme.t.radius
    color: !enabledState ? theme.t.background : (primary || selected ? theme.t.primary : theme.t.surface)
    border.width: theme.t.borderWidth
    border.color: enabledState ? theme.t.primary : theme.t.border
    opacity: tap.pressed ? 0.8 : 1.0

    Accessible.role: Accessible.Button
    Accessible.name: sublabel ? label + " " + sublabel : label
    Accessible.onPressAction: if (enabledState) button.activated()

    FontMetrics { id: labelMetrics; font.pixelSize: button.fontSize; font.family: theme.t.fontFamily }

    Column {
        id: column
        anchors.centerIn: parent
        spacing: 4
        Text {
            objectName: "buttonLabel"
            width: Math.min(implicitWidth, button.width - theme.t.gap * 2)
            maximumLineCount: button.fixedHeight > 0
                ? Math.max(1, Math.floor((button.fixedHeight - theme.t.gap * 2
                    - (badge.visible ? badge.implicitHeight + column.spacing : 0)) / labelMetrics.lineSpacing))
                : 1000
            elide: Text.ElideRight
            anchors.horizontalCenter: parent.horizontalCenter
            text: button.label
            font.pixelSize: button.fontSize
            font.family: theme.t.fontFamily
            font.bold: button.primary
            color: !button.enabledState ? theme.t.muted : (button.primary || button.selected ? theme.t.onPrimary : theme.t.primary)
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.Wrap
        }
        Text {
            id: badge
            objectName: "buttonBadge"
            visible: button.sublabel !== ""
            width: Math.min(implicitWidth, button.width - theme.t.gap * 2)
            anchors.horizontalCenter: parent.horizontalCenter
            text: button.sublabel
            font.pixelSize: theme.t.smallSize
            font.family: theme.t.fontFamily
            color: button.primary || button.selected ? theme.t.onPrimary : theme.t.muted
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.Wrap
        }
    }
    TapHandler {
        id: tap
        enabled: button.enabledState
        // An exclusive grab: one tap activates this button only, never one beneath it.
        gesturePolicy: TapHandler.ReleaseWithinBounds
        onTapped: button.activated()
    }
}
