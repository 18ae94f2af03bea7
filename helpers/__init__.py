"""Helpers for the course "Softmax and cross-entropy, from NumPy to PyTorch".

Each function here was first taught in a notebook; its docstring names that notebook.
Modules:

* ``numerics``         the stable NumPy softmax (notebook 01) and log-softmax (notebook 02)
* ``plots``            figures used by the notebooks, one module per topic (they return the figure)
* ``models``           the tutorial's two networks (notebook 04)
* ``data``             MNIST: the bundled 5,000 digits or the verified full download (notebook 05)
* ``training``         the training loop written out in notebook 05
* ``measurement``      wall time and memory use of PyTorch code (notebook 07)
* ``distributed``      cross-entropy across processes on torch.distributed: run_on_ranks, the
                       vocabulary-parallel loss, the global mean (notebook 11)
* ``widgets``          live sliders (ipywidgets), each with a static twin
* ``diagrams``         the code that draws every picture in ``images/``
* ``checks``           automatic checkers for the exercises at the end of each notebook
* ``notebook_import``  loads the functions a notebook defines, so tests use the notebook's own code
* ``validation``       input checks shared by all of the above
* ``errors``           ``expect_error``: shows an intended error in one line (notebook 03)
* ``doctor``           ``python -m helpers.doctor``: checks the environment the notebooks run in
"""

__version__ = "0.1.0"
