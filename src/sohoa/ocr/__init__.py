"""Page work, free of storage and search: cleanup, orientation, deskew, Tesseract OCR, blank verdicts and the
searchable PDF. Everything here takes an image and returns what it learnt."""
