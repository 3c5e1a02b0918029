"""Letters of Unicode's styled alphabets read as their plain characters.

Instagram's "font generators" write captions, hashtags and account names in the
mathematical alphanumeric symbols (𝐛𝐨𝐥𝐝, 𝓈𝒸𝓇𝒾𝓅𝓉), the fullwidth forms (ｆｕｌｌ) or the
circled letters (Ⓒⓘⓡⓒⓛⓔⓓ). :func:`unstyled` reads them as the plain letters they stand
for (Unicode's compatibility mapping), so that a styled word, hashtag or mention is the
same as the plain one for every reader of captions.
"""

import re
import unicodedata

from emoji import EMOJI_DATA

# Unicode's styled alphabets: the mathematical alphanumeric symbols (bold, italic, script,
# fraktur, double-struck, sans-serif, monospace), the letterlike symbols that fill their gaps
# (ℯ of script, ℭ of fraktur, ℝ of double-struck), the fullwidth forms and the circled letters.
_STYLED_BLOCKS = ((0x1D400, 0x1D7FF), (0x2100, 0x214F), (0xFF01, 0xFF5E), (0x24B6, 0x24E9))


def _styled_letters() -> dict[int, str]:
    """Each character of :data:`_STYLED_BLOCKS` whose compatibility form (NFKC) is one plain
    ASCII character → that character; emojis among them (Ⓜ️) are left alone."""
    table = {}
    for first, last in _STYLED_BLOCKS:
        for code in range(first, last + 1):
            plain = unicodedata.normalize("NFKC", chr(code))
            is_emoji = chr(code) in EMOJI_DATA or chr(code) + "\ufe0f" in EMOJI_DATA
            if len(plain) == 1 and plain.isascii() and plain != chr(code) and not is_emoji:
                table[code] = plain
    return table


STYLED_LETTERS = _styled_letters()
# Any character of the blocks: a caption without one is returned as it is. The blocks are
# four ranges, which the regex engine tests far faster than the table's hundreds of letters.
_STYLED = re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in _STYLED_BLOCKS) + "]")


def unstyled(text: str) -> str:
    """``text`` with letters, digits and signs of Unicode's styled alphabets (𝐀𝐥𝐥 𝓻𝓲𝓼𝓮,
    ｆｕｌｌ) as their plain characters (All rise, full), one for one; ``text`` itself when it
    has no character of their blocks."""
    return text.translate(STYLED_LETTERS) if _STYLED.search(text) else text
