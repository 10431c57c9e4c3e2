"""Semi-supervised learning with a GAN (Salimans et al. 2016): D as a K-class classifier trained on a few
labelled images and on the real/fake game over all of them."""
