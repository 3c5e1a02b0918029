"""``user_characterizations`` as the app reads it: each person decoded only when shown.

The output is one JSON object of a characterization per profile, some kilobytes each: a
run of 20,000 people is a file of about 100 MB, which Python's ``json`` turns into a
quarter of a GB of objects in seconds. A page shows one person, and needs of the others only
their full name (the profile picker) and their posts (the download-changed warning). So
msgspec splits the file into each person's JSON text, kept as it is (``msgspec.Raw``, no
copy), and decodes of every person only those two fields; the whole characterization of a
person is decoded when a page asks for it.

.. code-block:: python

    people = read_characterizations(reader)    # a CatalogReader
    sorted(people)                               # the profiles
    people.summaries["anna.cooks"]               # {"full_name": ..., "posting": {...}}
    people["anna.cooks"]                         # the whole characterization, a dict
"""

from collections.abc import Iterator, Mapping
from typing import Any

import msgspec

from insta_kedro.app.catalog_reader import CatalogReader, OutputMissingError

DATASET = "user_characterizations"


class _Summary(msgspec.Struct):
    """The fields of a person that a page needs for every profile; the others are skipped."""

    full_name: Any = None
    posting: Any = None


def _summary(summary: _Summary) -> dict[str, Any]:
    return {"full_name": summary.full_name, "posting": summary.posting}


class Characterizations(Mapping[str, dict]):
    """The run's people: a read-only mapping of profile → characterization.

    Takes a mapping of profile → the person's JSON text (``msgspec.Raw``, decoded on each
    access) or the person as a dict. ``summaries`` holds each profile's ``full_name`` and
    ``posting``, known without decoding the rest.
    """

    def __init__(self, people: Mapping[str, msgspec.Raw | dict]):
        self._people = dict(people)
        self.summaries: dict[str, dict[str, Any]] = {
            name: (
                _summary(msgspec.json.decode(person, type=_Summary))
                if isinstance(person, msgspec.Raw)
                else {"full_name": person.get("full_name"), "posting": person.get("posting")}
            )
            for name, person in self._people.items()
        }

    @classmethod
    def from_json(cls, document: bytes) -> "Characterizations":
        """The people of a JSON ``document`` (the output's file as bytes). Raises
        ``msgspec.DecodeError`` when it is no JSON object of objects, or holds what JSON does
        not allow (``NaN``, which Python's ``json`` writes)."""
        return cls(msgspec.json.decode(document, type=dict[str, msgspec.Raw]))

    def __getitem__(self, profile: str) -> dict:
        person = self._people[profile]
        return msgspec.json.decode(person) if isinstance(person, msgspec.Raw) else person

    def __iter__(self) -> Iterator[str]:
        return iter(self._people)

    def __len__(self) -> int:
        return len(self._people)


def read_characterizations(reader: CatalogReader) -> Characterizations:
    """The project's ``user_characterizations`` (:class:`Characterizations`).

    Takes the project's catalog reader. The file is split with msgspec; one that msgspec
    refuses is loaded through the catalog (Python's ``json``, which also reads ``NaN``).
    Raises :class:`OutputMissingError` when the output is not made, cannot be read, or is no
    object of a characterization (an object) per profile.
    """
    document = reader.read_bytes(DATASET)
    try:
        return Characterizations.from_json(document)
    except msgspec.DecodeError:
        people = reader.load(DATASET)
    if not isinstance(people, dict) or not all(isinstance(p, dict) for p in people.values()):
        raise OutputMissingError(
            DATASET,
            reader.producer(DATASET),
            "cannot be read (it is no object of a characterization per profile)",
            damaged=True,
        )
    return Characterizations(people)
