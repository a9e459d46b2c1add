"""Names of the skin-lesion data: the HAM10000 metadata columns, ours, the classes, the image.

The layout on disk is the public HAM10000 one, so the real download loads with the same loader:
`HAM10000_metadata.csv` plus one `<image_id>.jpg` per row in an images folder.
"""

from __future__ import annotations

METADATA_FILE = "HAM10000_metadata.csv"
IMAGES_DIR = "images"
MANIFEST = "manifest.json"

IMAGE_SIZE = 64  # pixels per side; 3 channels (RGB), uint8
FIELD_OF_VIEW_MM = 15.0
MM_PER_PX = FIELD_OF_VIEW_MM / IMAGE_SIZE

# The seven HAM10000 diagnoses and their share of the 10,015 images (Tschandl et al. 2018).
CLASSES = ("akiec", "bcc", "bkl", "df", "mel", "nv", "vasc")
HAM_PRIORS = {
    "akiec": 0.0327,
    "bcc": 0.0513,
    "bkl": 0.1097,
    "df": 0.0115,
    "mel": 0.1111,
    "nv": 0.6695,
    "vasc": 0.0142,
}
MALIGNANT = frozenset({"mel", "bcc", "akiec"})
DX_TYPES = ("histo", "follow_up", "consensus", "confocal")
SEXES = ("male", "female", "unknown")

# HAM10000's own columns, in its order.
LESION_ID, IMAGE_ID, DX, DX_TYPE = "lesion_id", "image_id", "dx", "dx_type"
AGE, SEX, LOCALIZATION = "age", "sex", "localization"
HAM_COLUMNS = (LESION_ID, IMAGE_ID, DX, DX_TYPE, AGE, SEX, LOCALIZATION)

# Ours: the grouping, the subgroups and the latent attributes the generator drew.
PATIENT_ID, LABEL, LABEL_TRUE = "patient_id", "label", "label_true"
SKIN_TONE, DEVICE, VARIANT = "skin_tone", "device", "variant"
ATTRIBUTES = ("A", "B", "C", "D", "diameter_mm", "tds", "seven_point", "n_hairs")
EXTRA_COLUMNS = (PATIENT_ID, LABEL, LABEL_TRUE, SKIN_TONE, DEVICE, VARIANT, *ATTRIBUTES)
COLUMNS = HAM_COLUMNS + EXTRA_COLUMNS

SKIN_TONES = (1, 2, 3, 4, 5, 6)  # Fitzpatrick-like I..VI; -1 = unknown (real HAM10000)
UNKNOWN_TONE = -1
UNKNOWN = "unknown"
VARIANTS = ("typical", "amelanotic", "atypical")


def label_of(dx: str) -> int:
    """1 for a malignant diagnosis (mel, bcc, akiec), else 0."""
    return int(dx in MALIGNANT)
