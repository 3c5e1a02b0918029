"""Person page: interests, persona, posting behaviour and representative posts of a profile."""

from collections.abc import Mapping

import plotly.express as px
import streamlit as st

from insta_kedro.app.characterizations import Characterizations
from insta_kedro.app.components import (
    load_characterizations,
    load_output,
    plain_markdown,
    show_image,
    shown,
    shown_caption,
    warn_if_download_changed,
    warn_if_random_weights,
    weights_table,
)
from insta_kedro.personas import NO_POSTS_LABEL, NOT_CLUSTERED_LABEL

POSTING_LABELS = {
    "posts": "posts",
    "posts_per_week": "posts per week",
    "engagement_rate": "engagement rate",
    "mean_caption_length": "mean caption length",
    "hashtags_per_post": "hashtags per post",
    "carousel_share": "carousels",
    "video_share": "videos",
    "caption_share": "with caption",
}
SHARES = ("carousel_share", "video_share", "caption_share")
PROFILE_PARAM = "profile"  # ?profile=anna.cooks selects the person
MAX_PROFILE_PARAM = 100  # characters; Instagram names have at most 30
MAX_CARD_CAPTION = 300  # characters of a caption shown in a post's card; the rest on a click
MAX_LISTED = 50  # profiles the picker lists at once; its search box finds the others


def posting_value(key: str, value: float | int | None) -> str:
    if value is None:
        return "—"
    if key in SHARES:
        return f"{float(value):.0%}"
    if key == "engagement_rate":
        return f"{float(value):.2%}"
    if key == "posts":
        return str(int(value))
    return f"{float(value):.1f}"


def no_persona_reason(person: dict) -> str:
    """Why a profile has no persona (cluster -1): no posts, too few to cluster, or noise."""
    label = (person.get("persona") or {}).get("label")
    if label == NO_POSTS_LABEL:
        private = " It is a private profile." if person.get("is_private") else ""
        return f"No persona: this profile has no downloaded posts.{private}"
    if label == NOT_CLUSTERED_LABEL:
        return (
            "No persona: there were too few profiles to cluster "
            "(`clustering_report.json` says why)."
        )
    return "No persona: this profile is noise to the clustering (cluster -1)."


def profile_label(profile: str, characterization: dict) -> str:
    full_name = characterization.get("full_name")
    return f"{profile} ({full_name})" if full_name and full_name != profile else profile


def url_profile_problem(value: str, profiles: list[str]) -> str | None:
    """Why the address's ``?profile=`` selects no profile, or None when it names one.

    Takes the parameter's value and the run's profiles. Returns the message: a control
    character (a NUL byte), over :data:`MAX_PROFILE_PARAM` characters, a path (``/``, ``..``),
    or a name the run does not have. The value never opens a file.
    """
    if value in profiles:
        return None
    if not value.isprintable():
        why = "contains a control character (such as a NUL byte)"
    elif len(value) > MAX_PROFILE_PARAM:
        why = f"is {len(value):,} characters long, over {MAX_PROFILE_PARAM}"
    elif "/" in value or "\\" in value or value in (".", ".."):
        why = "is a path, not a profile name"
    else:
        why = "is no profile of this run (`user_characterizations`)"
    return (
        f"No such profile: `{shown(value)}` in the address (`?{PROFILE_PARAM}=`) {why}. "
        "Pick a profile below; the address follows it."
    )


def profile_named(value: str, profiles: list[str]) -> str | None:
    """The profile ``value`` names, written as Instagram accepts it.

    Takes the address's value and the run's profiles. Returns ``value`` when it is a profile,
    else the one profile it equals without spaces around it, a leading ``@`` and case
    (Instagram's names ignore case: ``TheRock``, ``@therock``), else None.
    """
    if value in profiles:
        return value
    handle = value.strip().removeprefix("@").casefold()
    matches = [profile for profile in profiles if profile.casefold() == handle]
    return matches[0] if len(matches) == 1 else None


def profile_from_url(profiles: list[str]) -> str | None:
    """The profile the address names (``?profile=anna.cooks``), for a shareable link.

    Takes the run's profiles. Returns the named profile (:func:`profile_named`), or None when
    the address names none (no or an empty ``?profile=``), after a warning when it names no
    known profile (:func:`url_profile_problem`).
    """
    value = st.query_params.get(PROFILE_PARAM)
    if value is None or not value.strip():
        return None
    named = profile_named(value, profiles)
    if named is None:
        st.warning(url_profile_problem(value, profiles), icon="⚠️")
    return named


def profile_matches(search: str, characterizations: Mapping, profiles: list[str]) -> list[str]:
    """The profiles that ``search`` finds, for the picker.

    Takes what was typed in the search box, the run's characterizations (or their
    ``summaries``: the full name is all it reads) and its profiles in order. Returns the
    profiles whose name or full name contains the text (case ignored, and spaces around it
    and a leading ``@``), those whose name starts with it first, each group in the order of
    ``profiles``; every profile when the text is empty.
    """
    text = search.strip().removeprefix("@").casefold()
    if not text:
        return profiles
    starting, containing = [], []
    for profile in profiles:
        name = profile.casefold()
        if name.startswith(text):
            starting.append(profile)
        elif (
            text in name
            or text in str(characterizations[profile].get("full_name") or "").casefold()
        ):
            containing.append(profile)
    return starting + containing


def listed_profiles(matches: list[str], shown_profile: str, limit: int = MAX_LISTED) -> list[str]:
    """The picker's options: the profile the page shows, then the first ``limit`` matches."""
    return [shown_profile, *(profile for profile in matches[:limit] if profile != shown_profile)]


def remember_profile(key: str) -> None:
    """Keeps the profile picked with the picker ``key`` for the other page and the address,
    and reruns the whole page for it (not only the picker's fragment)."""
    st.session_state["profile"] = st.session_state[key]
    st.query_params[PROFILE_PARAM] = st.session_state[key]
    st.rerun()


def profile_to_show(profiles: list[str], key: str) -> str:
    """The profile the page shows: the one the address names (``?profile=``), else the one
    last picked on this page, else the other page's, else the first. Takes the run's profiles
    in order and the picker's session key."""
    wanted = profile_from_url(profiles)
    if wanted is not None:
        return wanted
    known = set(profiles)
    for picked in (st.session_state.get(key), st.session_state.get("profile")):
        if picked in known:
            return picked
    return profiles[0]


@st.fragment
def profile_picker(
    characterizations: Characterizations, profiles: list[str], shown_profile: str, key: str
):
    """A search box and the profiles it finds, up to :data:`MAX_LISTED` of them.

    Takes the run's characterizations, its profiles in order, the profile the page shows and
    the picker's session key. Typing reruns only this fragment (the page stays as it is);
    picking another profile reruns the page (:func:`remember_profile`).
    """
    search = st.text_input(
        "Find a profile",
        key=f"{key}_search",
        type="search",
        live=True,
        placeholder="part of a name or full name",
    )
    matches = profile_matches(search, characterizations.summaries, profiles)
    st.selectbox(
        "Profile",
        listed_profiles(matches, shown_profile),
        key=key,
        format_func=lambda p: profile_label(p, characterizations.summaries[p]),
        on_change=remember_profile,
        args=(key,),
    )
    if not matches:
        st.caption(f"No profile's name or full name contains `{shown(search)}`.")
    elif len(matches) > MAX_LISTED:
        st.caption(
            f"{MAX_LISTED} of {len(matches):,} profiles listed: type part of a name to find "
            "the others."
        )


def choose_profile(characterizations: Characterizations, key: str) -> str:
    """A profile picker shared by the Person and Circle pages (the choice carries over).

    Takes the run's characterizations and the picker's session key. The address
    (``?profile=``) selects the profile it names, else the page's or the other page's last
    choice is kept (:func:`profile_to_show`). The shown profile, however it was chosen, is
    remembered for the other page and written to the address, so the address always names
    what the page shows. The picker lists a few profiles and a search box finds the others
    (:func:`profile_picker`), so a run of thousands of people is not sent on every rerun.
    Returns the chosen profile.
    """
    profiles = sorted(characterizations)
    chosen = profile_to_show(profiles, key)
    st.session_state[key] = chosen
    st.session_state["profile"] = chosen
    st.query_params[PROFILE_PARAM] = chosen
    profile_picker(characterizations, profiles, chosen, key)
    return chosen


def interests_chart(interests: dict[str, float], title: str):
    table = weights_table(interests).head(12)
    figure = px.bar(table, x="weight", y="category", orientation="h", title=title)
    figure.update_layout(yaxis={"categoryorder": "total ascending"}, height=360)
    return figure


def evidence_line(name: str, weights: dict[str, float]) -> str | None:
    """``terms: skate (6.8), skateboard (5.6)`` or None when there is none."""
    if not weights:
        return None
    return f"{name}: " + ", ".join(
        f"{plain_markdown(term)} ({weight:.1f})" for term, weight in weights.items()
    )


def evidence_lines(evidence: dict) -> list[str]:
    """What an interest rests on, one line per kind of evidence."""
    lines = [
        evidence_line(name, evidence.get(key) or {})
        for key, name in (
            ("terms", "terms"),
            ("hashtags", "hashtags"),
            ("mentions", "tagged accounts"),
            ("labels", "photo labels"),
        )
    ]
    if evidence.get("profile_category"):
        lines.append(f"profile category: {plain_markdown(str(evidence['profile_category']))}")
    if evidence.get("posts"):
        lines.append(f"posts with any of these: {evidence['posts']}")
    return [line for line in lines if line]


def support_note(person: dict) -> str | None:
    """A warning when the top interest rests on few of the person's posts, or on a small
    share of them (``interest_support.thin``), else None."""
    support = person.get("interest_support") or {}
    if not support.get("thin"):
        return None
    posts = (person.get("posting") or {}).get("posts") or 0
    if not support.get("posts"):
        which = (
            "this person's one post names no interest"
            if posts == 1
            else f"none of this person's {posts} posts names an interest"
        )
        return f"No evidence: {which} that the lexicon, the photo labels or the profile know."
    return (
        f"Thin evidence: {support['interest']} rests on {support['posts']} of {posts} posts "
        f"({support['share']:.0%}). Too few of this person's posts name an interest that the "
        "lexicon, the photo labels or the profile know, so their interests may be wrong."
    )


def show_evidence(person: dict) -> None:
    """Why the person has each of their top interests (``interest_evidence``)."""
    evidence = person.get("interest_evidence") or {}
    descriptions = load_output("interest_categories", show_missing=False) or {}
    st.subheader("Why these interests")
    note = support_note(person)
    if note:
        st.warning(note)
    shown = False
    for category, weight in (person.get("interests") or {}).items():
        lines = evidence_lines(evidence.get(category) or {})
        if not lines:
            continue
        shown = True
        st.markdown(f"**{category}** ({weight:.0%})")
        if descriptions.get(category):
            st.caption(descriptions[category])
        st.markdown("\n".join(f"- {line}" for line in lines))
    if not shown:
        st.caption(
            "No term, hashtag, photo label or profile category behind these interests "
            "(the caption classifier or nothing at all)."
        )


def show_caption(caption: object) -> None:
    """A post's caption in its card: whole up to :data:`MAX_CARD_CAPTION` characters, else
    its start, with the whole caption in an expander (a caption may run to 2,200)."""
    if not isinstance(caption, str) or not caption.strip():
        st.text("(none)")
        return
    if len(caption) <= MAX_CARD_CAPTION:
        st.text(caption)
        return
    st.text(shown_caption(caption, MAX_CARD_CAPTION))
    with st.expander(f"Whole caption ({len(caption):,} characters)"):
        st.text(caption)


def chosen_person(title: str, key: str) -> tuple[str, dict] | None:
    """The page's title, the random-weights warning and a profile picker; the chosen
    profile and its characterization, or None (with a message) when there is none."""
    st.title(title)
    characterizations = load_characterizations()
    if characterizations is None:
        return None
    if not characterizations:
        st.info("`user_characterizations` has no profile: ingest some posts and run `kedro run`.")
        return None
    warn_if_random_weights()
    warn_if_download_changed(characterizations)
    profile = choose_profile(characterizations, key=key)
    person = characterizations[profile]
    st.header(plain_markdown(profile_label(profile, person)))  # a name may hold _ or *
    return profile, person


def render() -> None:
    chosen = chosen_person("Person", key="person_profile")
    if chosen is None:
        return
    _, person = chosen
    persona = person.get("persona") or {}
    left, right = st.columns([2, 1])
    with left:
        if person.get("interests"):
            st.plotly_chart(interests_chart(person["interests"], "Interests"))
            show_evidence(person)
        else:
            st.caption("No interests found for this profile.")
    with right:
        st.subheader("Persona")
        cluster = persona.get("cluster")
        if cluster is None or cluster == -1:
            st.write(no_persona_reason(person))
        else:
            st.caption(f"cluster {cluster}")
            st.markdown(f"**{plain_markdown(persona.get('label') or f'persona {cluster}')}**")
        if cluster not in (None, -1) and persona.get("probability") is not None:
            st.progress(
                float(persona["probability"]), text=f"probability {persona['probability']:.2f}"
            )

    st.subheader("Posting behaviour")
    posting = person.get("posting") or {}
    has_posts = bool(posting.get("posts"))
    columns = st.columns(4)
    for i, (key, label) in enumerate(POSTING_LABELS.items()):
        value = posting.get(key) if has_posts or key == "posts" else None
        columns[i % 4].metric(label, posting_value(key, value))

    st.subheader("Representative posts")
    posts = person.get("representative_posts") or []
    if not posts:
        st.caption("No representative posts.")
    columns = st.columns(3)
    for i, post in enumerate(posts):
        with columns[i % 3], st.container(border=True):
            show_image(post.get("image_path"), caption=post.get("post_id"))
            st.markdown("**Caption**")
            show_caption(post.get("caption"))
            if post.get("generated_caption"):
                st.markdown("**Generated caption**")
                st.text(post["generated_caption"])
