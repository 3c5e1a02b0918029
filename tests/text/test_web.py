"""Web addresses in captions, with a scheme or without one."""

from insta_kedro.text.web import without_links, without_web_addresses


def test_without_web_addresses_removes_them_with_or_without_a_scheme():
    text = "Prints at shop.magnumphotos.com/events, www.Example.org and https://x.io/a?b=1 now"
    assert without_web_addresses(text).split() == ["Prints", "at", "and", "now"]
    plain = "no address here, e.g. a sentence.Then another"
    assert without_web_addresses(plain) is plain


def test_without_links_removes_the_addresses_with_a_path_or_a_scheme():
    text = "a https://x.io #b medium.com/@c/d www.e.co/#f @g.tv @h.co/i #j.com/ k.com"
    assert without_links(text).split() == ["a", "#b", "@g.tv", "@h.co/i", "#j.com/", "k.com"]
    plain = "no address, #tag @name"
    assert without_links(plain) is plain
