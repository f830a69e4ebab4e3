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
    signal activated()

    implicitHeight: Math.max(theme.t.target, column.implicitHeight + theme.t.gap * 2)
    implicitWidth: Math.max(theme.t.target * 2, column.implicitWidth + theme.t.gap * 3)
    radius: theme.t.radius
    color: !enabledState ? theme.t.background : (primary || selected ? theme.t.primary : theme.t.surface)
    border.width: theme.t.borderWidth
    border.color: enabledState ? theme.t.primary : theme.t.border
    opacity: tap.pressed ? 0.8 : 1.0

    Accessible.role: Accessible.Button
    Accessible.name: sublabel ? label + " " + sublabel : label
    Accessible.onPressAction: if (enabledState) button.activated()

    Column {
        id: column
        anchors.centerIn: parent
        spacing: 4
        Text {
            width: Math.min(implicitWidth, button.width - theme.t.gap * 2)
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
