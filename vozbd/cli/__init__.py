"""The ``vozbd`` command line. One module per command group; ``app`` assembles them."""
