"""Task pipelines: what ``zoo.load()`` returns. One class per task contract (see docs/CATALOG.md)."""

from zoo.pipelines.base import Pipeline, load_pipeline, pipeline_classes
from zoo.pipelines.coding import AutoencoderPipeline, ClassifierPipeline
from zoo.pipelines.colorize import ColorizePipeline
from zoo.pipelines.generative import GANPipeline, ToyGANPipeline, VAEPipeline
from zoo.pipelines.restoration import DenoisePipeline, SuperResolutionPipeline
from zoo.pipelines.translation import CycleGANPipeline, Pix2PixPipeline

__all__ = [
    "AutoencoderPipeline",
    "ClassifierPipeline",
    "ColorizePipeline",
    "CycleGANPipeline",
    "DenoisePipeline",
    "GANPipeline",
    "Pipeline",
    "Pix2PixPipeline",
    "SuperResolutionPipeline",
    "ToyGANPipeline",
    "VAEPipeline",
    "load_pipeline",
    "pipeline_classes",
]
