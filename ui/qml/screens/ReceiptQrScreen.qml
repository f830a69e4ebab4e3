import QtQuick
import "../components"

// No paper: the receipt's QR code on screen instead.
Item {
    Column {
        width: parent.width * 0.55
        spacing: theme.t.gap * 2
        Heading { width: parent.width }
        Rows { width: parent.width; model: k.view.rows || [] }
    }
    ActionRow { anchors.bottom: parent.bottom }
    Image {
        objectName: "receiptQr"
        anchors.right: parent.right
        anchors.verticalCenter: parent.verticalCenter
        width: Math.min(parent.width * 0.4, parent.height * 0.9)
        height: width
        sourceSize.width: width
        sourceSize.height: height
        smooth: false
        source: (k.view.qr || "") !== "" ? "image://qr/" + encodeURIComponent(k.view.qr) : ""
        Accessible.role: Accessible.Graphic
        Accessible.name: k.view.title || ""
    }
}
