"""What differs between Keras backends, each concern behind one interface.

Everything else in the framework is written once, for every backend: it
hands this package NumPy arrays (data sources), Keras objects (model,
optimizer, loss, metrics) and Python numbers (loggers).
"""
