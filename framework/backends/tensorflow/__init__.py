"""The TensorFlow backend: tf.function loops, tf.data pipelines, tf.summary records."""
