"""Indonesian informal-text normaliser, a Rasa 3.6 graph component.

Runs before the tokenizer (train and inference) and rewrites the message text:
lower-casing, emoji/punctuation clean-up, repeated letters ("halooo" -> "halo"),
reduplication with "2" ("langkah2" -> "langkah langkah"), money shorthand
("3,5jt" -> "3,5 juta") and a small hand-written slang/regional lexicon that maps
common abbreviations and Javanese/Sundanese function words to standard Indonesian
("gmn"/"piye"/"kumaha" -> "bagaimana", "gk"/"ora"/"teu" -> "tidak").
The lexicon is our own (no third-party list), so it ships with the repo.
"""

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_END, ENTITY_ATTRIBUTE_START, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

# The message attribute that keeps the text as it was typed (the classifier's reference member
# reads it); never added to the parse output.
TEXT_AS_TYPED = "text_as_typed"

# canonical form -> variants (slang, typos, Javanese, Sundanese)
_LEXICON: dict[str, list[str]] = {
    "tidak": [
        "gk",
        "ga",
        "gak",
        "g",
        "nggak",
        "ngga",
        "engga",
        "enggak",
        "ngak",
        "tdk",
        "gx",
        "kagak",
        "kaga",
        "kgk",
        "ndak",
        "nda",
        "ndk",
        "nope",
        "ora",
        "ra",
        "mboten",
        "teu",
        "henteu",
        "hente",
    ],
    "saya": ["sy", "aku", "ak", "gue", "gw", "gua", "kulo", "abdi", "aq", "sya", "sayah"],
    "kamu": ["km", "kmu", "kowe", "anjeun", "lu", "lo", "situ"],
    "sudah": ["udh", "udah", "sdh", "dah", "wis", "uwis", "wes", "parantos", "tos", "udahh"],
    "belum": ["blm", "blom", "belom", "durung", "dereng", "acan", "teu acan", "blum", "blon"],
    "kapan": ["kpn", "kapn", "iraha", "kapane"],
    "berapa": ["brp", "brapa", "berpa", "piro", "pira", "sabaraha", "pinten"],
    "bagaimana": [
        "gmn",
        "gmna",
        "gimana",
        "gimn",
        "gmana",
        "gimane",
        "piye",
        "pripun",
        "kumaha",
        "kepriye",
        "gimanaa",
        "bgmn",
        "bagaimanakah",
    ],
    "kenapa": [
        "knp",
        "knapa",
        "napa",
        "ngapa",
        "kenapah",
        "naha",
        "kunaon",
        "ngopo",
        "kenging",
        "knpa",
    ],
    "bisa": ["bs", "bsa", "iso", "isa", "tiasa", "saged", "biso"],
    "apa": ["ap", "apaan", "opo", "naon", "napa2"],
    "mana": ["endi", "ngendi", "mendi"],
    "dimana": ["dmn", "dmana", "neng ngendi", "di mana"],
    "yang": ["yg", "ingkang", "nu", "sing"],
    "dengan": ["dgn", "dg", "karo", "sareng", "jeung"],
    "untuk": ["utk", "untk", "kanggo", "kangge"],
    "tapi": ["tp", "tpi", "nanging"],
    "karena": ["krn", "karna", "krna", "soale", "sabab"],
    "harus": ["hrs", "kudu", "mesti"],
    "juga": ["jg", "jga", "uga"],
    "lagi": ["lg", "maneh", "deui", "lgi"],
    "sama": ["sm", "ama"],
    "dari": ["dr", "seko", "soko", "ti"],
    "sekarang": ["skrg", "skrang", "skr", "saiki", "ayeuna", "sakniki"],
    "masih": ["msh", "masi", "isih", "tesih", "keneh"],
    "mau": ["mw", "mo", "pengen", "pingin", "pengin", "hoyong", "arep", "ajeng", "pgn", "pngn"],
    "minta": ["mnt", "njaluk", "nyuwun"],
    "orang": ["org", "wong", "jalmi", "jelema"],
    "tahun": ["thn", "th", "taun"],
    "pakai": ["pake", "pk", "nganggo"],
    "daftar": ["dftr", "daftr", "dafar", "ndaftar", "daptar"],
    "prakerja": [
        "prkrja",
        "prakrja",
        "prkerja",
        "prakerj",
        "pra-kerja",
        "prakerjaa",
        "prakerjaku",
        "prkj",
    ],
    "pelatihan": ["pltihan", "plthn", "pelatiha", "pelathan", "pelatihane", "pltihn"],
    "gelombang": ["glmbng", "glombang", "gelombng", "gel", "glmbang", "gelombange"],
    "sertifikat": ["sertif", "srtfkt", "sertifikate", "serti", "sertipikat"],
    "insentif": ["insntf", "insetif", "insentife", "intensif"],
    "verifikasi": ["verif", "vrfksi", "verifikasine", "verivikasi"],
    "nomor": ["nmr", "nomer", "nomornya"],
    "status": ["sts", "statuse", "statusna"],
    "pengumuman": ["pngumuman", "pengumumane", "pengumuman na"],
    "lolos": ["lls", "lulos"],
    "tolong": ["tlg", "tulung", "tlong", "plis", "pls", "plz"],
    "permisi": ["punten", "misi", "nyuwun sewu"],
    "terima kasih": [
        "makasih",
        "makasi",
        "mksh",
        "makasih",
        "trims",
        "trimakasih",
        "terimakasih",
        "tengkyu",
        "tengkiu",
        "thx",
        "thanks",
        "thank you",
        "tq",
        "ty",
        "tks",
        "mkasih",
        "maturnuwun",
        "matursuwun",
        "matur nuwun",
        "suwun",
        "nuhun",
        "hatur nuhun",
    ],
    "akun": ["akn", "akune", "akunku"],
    "login": ["lgn", "log in", "masuk akun"],
    "password": ["pswd", "pass", "sandi", "kata sandi", "pw"],
    "dapat": ["dpt", "dapet", "oleh", "entuk", "kenging", "meunang", "dpet"],
    "uang": ["duit", "artos", "dana tunai"],
    "beli": ["bli", "tuku", "meser", "mbeli"],
    "ganti": ["gnti", "ngaganti", "ngganti", "ubh", "ubah"],
    "hp": ["handphone", "henpon", "ponsel"],
    "langganan": ["lgnn", "langganane", "subscribe"],
    "berhenti": ["brhnti", "mandek", "eureun"],
    "kabari": ["kabarin", "kabarn", "wartosan", "bejaan", "infoin", "kabarana"],
    "ikut": ["ikt", "melu", "tumut", "ngiring", "ikutan", "join"],
    "sedang": ["sdg", "nuju"],
    "saja": ["aja", "wae", "ae", "mawon", "aj", "sj"],
    "masuk": ["msk", "asup", "mlebu", "lebet"],
    "sampai": ["nyampe", "nyampai", "teko", "dugi", "nepi", "sampe"],
    "cair": ["cer", "cairnya"],
    "kalau": ["klo", "kalo", "klw", "nek", "yen", "lamun", "upami"],
    "gagal": ["ggl", "gagal2"],
    "wajah": ["wjh", "muka", "rai", "beungeut", "rarai"],
    "cara": ["cr", "crara", "carane", "carana", "caranya", "carane"],
    "bukan": ["bkn", "sanes", "dudu"],
    "ya": [
        "iya",
        "iyaa",
        "yaa",
        "inggih",
        "nggih",
        "enggih",
        "enggeh",
        "muhun",
        "sumuhun",
        "leres",
        "yup",
        "yap",
        "yep",
        "yoi",
        "yes",
        "iyo",
        "he eh",
        "heeh",
        "hooh",
    ],
    "benar": ["bener", "bnr", "bner"],
    "banget": ["bgt", "bngt"],
    "mengerti": ["ngerti", "ngarti", "mudeng", "ngertos"],
    "maksud": ["mksd", "maksd", "maksut"],
    "maksudnya": ["mksdnya", "maksdnya", "maksute", "maksudna", "maksadna"],
    "batalkan": ["batalin", "cancel", "cancelin"],
    "hentikan": ["hentiin", "berhentiin", "brentiin", "stopin", "setopin"],
    "lewat": ["lwt", "liwat"],
    "jadi": ["jd", "jdi"],
    "tahu": ["tau"],
    "punya": ["pny", "pnya"],
    # short chat words: greetings, "ok", thanks, stop/continue
    "halo": ["hai", "hi", "hello", "helo", "hallo", "hey", "hei", "hay", "hola"],
    "oke": ["ok", "okay", "okey", "okeh", "oce", "okie"],
    "selamat": ["met", "slmt", "selamet", "wilujeng"],
    "assalamualaikum": [
        "asalamualaikum",
        "assalamu'alaikum",
        "assalamu alaikum",
        "assalamualaikom",
        "aslmkm",
        "askum",
    ],
    "wassalamualaikum": [
        "wasalamualaikum",
        "wassalamu'alaikum",
        "wassalamu alaikum",
        "wassalam",
        "wasalam",
        "wslm",
    ],
    "bye": ["babay", "bubay", "bubye", "goodbye", "bai"],
    "dadah": ["dadaah", "daah", "daa"],
    "terus": ["trus", "trs", "mulu"],
    "stop": ["setop", "stp"],
    "matikan": ["matiin", "nonaktifkan", "nonaktifin", "non-aktifkan", "disable", "turn off"],
    "aktifkan": ["aktifin", "nyalakan", "nyalain", "hidupkan", "enable", "turn on"],
    "berhenti langganan": ["unsub", "unsubscribe"],
    # round 9: run-together negations and common chat shortenings (each checked against the
    # training data for another meaning; "gada" is left alone: "satpam gada pratama")
    "tidak bisa": ["gabisa", "gbs", "gabs"],
    "tidak tahu": ["gatau", "gatw", "gtw", "gataw"],
    "tidak mau": ["gamau", "gamao"],
    "tidak ada": ["gaada"],
    "tidak usah": ["gausah", "gausa", "gaush"],
    "tidak jadi": ["gajadi"],
    "tidak apa apa": ["gpp", "gapapa"],
    "memang": ["emg", "emang"],
    "nanti": ["ntar", "ntr", "nnti"],
    "besok": ["bsk"],
    "kemarin": ["kmrn", "kemaren", "kmaren"],
    "sebelum": ["sblm"],
    "setelah": ["stlh", "stlah"],
    "habis": ["abis"],
    "tanya": ["tny", "nanya", "nanyain"],
    "boleh": ["blh", "bleh"],
    "email": ["imel", "emel", "e-mail"],
    "dashboard": ["dasbor", "dashbor", "dasboard"],
    "nomor rekening": ["norek"],
    "dulu": ["dlu"],
    "katanya": ["ktnya"],
}
# address terms / particles that carry no topic (dropped from messages of >= 2 tokens)
_PARTICLES = {
    "min",
    "mimin",
    "kak",
    "ka",
    "kakak",
    "gan",
    "agan",
    "mas",
    "mbak",
    "mba",
    "bang",
    "kang",
    "teh",
    "sis",
    "bro",
    "om",
    "lur",
    "dong",
    "sih",
    "nih",
    "deh",
    "kok",
    "tuh",
    "loh",
    "lho",
    "yah",
    "wkwk",
    "haha",
    "hehe",
    "to",
    "je",
    "mah",
    "atuh",
    "euy",
    "pak",
    "bu",
    "admin",
}

_PHRASES: list = []  # (compiled regex, replacement) for multi-word variants
_WORDS: dict[str, str] = {}
for canon, variants in _LEXICON.items():
    for v in variants:
        if " " in v:
            _PHRASES.append((re.compile(rf"\b{re.escape(v)}\b"), canon))
        else:
            _WORDS[v] = canon

_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]")
_MONEY = re.compile(r"(\d+(?:[.,]\d+)?)\s?(jt|juta|rb|ribu|k)\b")
_REDUP = re.compile(r"\b([a-z]{2,})2\b")
_REPEAT3 = re.compile(r"([a-z])\1{2,}")
_LAUGH = re.compile(r"\b(?:(?:wk){2,}w?|(?:ha){2,}h?|(?:he){2,})\b")  # wkwkwk, hahaha, hehehe
_TRAIL2 = re.compile(r"([a-z]{2,}?)([aeiouhk])\2\b")
_PUNCT = re.compile(r"[^\w\s/,.@'\-]")


def normalize(text: str) -> str:
    """Return the normalised form of an informal Indonesian message."""
    if not text or text.startswith("/"):
        return text
    t = _EMOJI.sub(" ", text.lower())
    t = _PUNCT.sub(" ", t)
    t = _MONEY.sub(
        lambda m: (
            f"{m.group(1)} "
            + {"jt": "juta", "juta": "juta", "rb": "ribu", "ribu": "ribu", "k": "ribu"}[m.group(2)]
        ),
        t,
    )
    t = _REDUP.sub(r"\1 \1", t)
    t = _LAUGH.sub(lambda m: m.group(0)[:2] * 2, t)
    t = _REPEAT3.sub(r"\1", t)
    t = _TRAIL2.sub(r"\1\2", t)
    for rx, canon in _PHRASES:
        t = rx.sub(canon, t)
    tokens = [tok.strip(".,'-") for tok in t.split()]
    tokens = [_WORDS.get(tok, tok) for tok in tokens if tok]
    if len(tokens) >= 2:
        kept = [tok for tok in tokens if tok not in _PARTICLES]
        tokens = kept or tokens
    return " ".join(tokens) or text


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class IndonesianNormalizer(GraphComponent):
    """Rewrites message text into normalised Indonesian before tokenisation."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "IndonesianNormalizer":
        return cls(config)

    def _apply(self, message: Message) -> None:
        text: str | None = message.get(TEXT)
        if not text:
            return
        new_text = normalize(text)
        entities = message.get(ENTITIES)
        if entities:
            # re-anchor annotated entities in the rewritten text (drop unmatched ones)
            moved, cursor = [], 0
            for ent in sorted(entities, key=lambda e: e[ENTITY_ATTRIBUTE_START]):
                span = normalize(text[ent[ENTITY_ATTRIBUTE_START] : ent[ENTITY_ATTRIBUTE_END]])
                pos = new_text.find(span, cursor) if span else -1
                if pos >= 0:
                    moved.append(
                        {**ent, ENTITY_ATTRIBUTE_START: pos, ENTITY_ATTRIBUTE_END: pos + len(span)}
                    )
                    cursor = pos + len(span)
            message.set(ENTITIES, moved)
        if message.get(TEXT_AS_TYPED) is None:
            message.set(TEXT_AS_TYPED, text)
        message.set(TEXT, new_text)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._apply(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._apply(message)
        return messages
