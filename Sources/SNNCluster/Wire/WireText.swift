/// Helpers for the protocol's length-limited UTF-8 text fields.
public enum WireText {
    /// `text` cut to at most `maxBytes` UTF-8 bytes at a character boundary, so a long reason or host name
    /// can always be sent instead of failing validation.
    public static func truncated(_ text: String, maxBytes: Int) -> String {
        if text.utf8.count <= maxBytes { return text }
        var out = ""
        var used = 0
        for ch in text {
            let n = String(ch).utf8.count
            if used + n > maxBytes { break }
            out.append(ch)
            used += n
        }
        return out
    }

    /// Whether `text` is lowercase hexadecimal (the dataset fingerprint format).
    public static func isLowercaseHex(_ text: String) -> Bool {
        text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }
}
