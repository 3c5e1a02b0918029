"""Letters of Unicode's styled alphabets read as their plain characters."""

import pytest

from insta_kedro.text.styled import unstyled


@pytest.mark.parametrize(
    ("styled", "plain"),
    [
        ("𝐄𝐱𝐜𝐞𝐥𝐥𝐞𝐧𝐭 𝟐𝟎𝟐𝟒", "Excellent 2024"),  # bold letters and digits
        ("𝓪𝓵𝓵 𝓻𝓲𝓼𝓮", "all rise"),  # bold script
        ("ℰ𝓍𝒸ℯ𝓁𝓁ℯ𝓃𝓉", "Excellent"),  # script, its gaps filled by letterlike symbols
        ("Ｆｕｌｌ！", "Full!"),  # fullwidth letters and signs
        ("ⓒⓘⓡⓒⓛⓔⓓ", "circled"),
    ],
)
def test_styled_characters_are_their_plain_ones(styled, plain):
    assert unstyled(styled) == plain
    assert len(unstyled(styled)) == len(styled)  # one for one


def test_emojis_of_the_styled_blocks_stay_emojis():
    assert unstyled("Ⓜ️ ™️ ℹ️") == "Ⓜ️ ™️ ℹ️"


def test_a_text_without_styled_characters_is_returned_as_it_is():
    text = "a plain caption 🔥 with é, 日本 and #tags"
    assert unstyled(text) is text
