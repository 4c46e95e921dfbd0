"""What the benchmarks measure the engine against, shared so that every ratio has one floor."""

DECODE_ONLY = (
    "import fastavro, sys\n"
    "for name in sys.argv[1:]:\n"
    "    with open(name, 'rb') as handle:\n"
    "        for _ in fastavro.reader(handle):\n"
    "            pass\n"
)
"""A whole process that only decodes the files named on its command line with fastavro."""
