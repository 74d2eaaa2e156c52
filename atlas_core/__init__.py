"""atlas: multilingual scaling laws (ATLAS, Longpre et al. 2026) reproduced at laptop scale.

The package follows one direction of flow; each layer imports only from the layers before it:

    data  ->  model, train  ->  experiments (runner, results store)  ->  analysis, laws, fit  ->  book

``laws``, ``fit``, ``analysis`` and ``published`` are pure math on tables: they never import torch, the model,
the trainer or the runner, so a user can fit the laws to their own runs without any of the training stack.
"""

__version__ = "0.1.0"
