import QtQuick
import QtQuick.VirtualKeyboard
import QtQuick.VirtualKeyboard.Settings

// Qt Virtual Keyboard with Pinyin and English; shown while a free-text answer has the focus.
InputPanel {
    id: panel
    visible: active
    Component.onCompleted: {
        VirtualKeyboardSettings.activeLocales = ["zh_CN", "en_US"]
        VirtualKeyboardSettings.locale = k.language === "en" ? "en_US" : "zh_CN"
    }
}
