"""`model.fit(x, y, epochs=E)` as the tutorial uses it: `python raw_fit.py EPOCHS VERBOSE`.

The tutorial's linear model and data, one full batch per epoch, Keras's own
progress output at VERBOSE (0 silent, 1 progress bar, 2 one line per epoch).
"""

import sys

import keras
import tensorflow as tf


class Linear(keras.Model):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(), initializer=keras.initializers.Constant(5.0), name="W")
        self.b = self.add_weight(shape=(), initializer=keras.initializers.Constant(0.0), name="b")

    def call(self, inputs):
        return inputs * self.w + self.b


epochs, verbose = int(sys.argv[1]), int(sys.argv[2])
x = tf.random.stateless_normal([1000, 1], seed=[1, 2])
y = x * 3.0 + 2.0 + tf.random.stateless_normal([1000, 1], seed=[3, 4])
model = Linear()
model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
model.fit(x, y, epochs=epochs, batch_size=1000, verbose=verbose)
