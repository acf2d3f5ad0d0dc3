# Reads a run's TensorBoard event files with the `tensorboard` Python package and prints every
# scalar, to check them against the run's metrics.jsonl:
#
#   python3 -m venv /tmp/tb && /tmp/tb/bin/pip install tensorboard
#   /tmp/tb/bin/python Examples/scripts/read-tensorboard.py runs/mgrawa
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

accumulator = EventAccumulator(sys.argv[1])
accumulator.Reload()
for tag in accumulator.Tags()["scalars"]:
    print(tag, [(event.step, round(event.value, 6)) for event in accumulator.Scalars(tag)])
