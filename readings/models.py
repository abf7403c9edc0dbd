"""Readings over time: raw samples, their 5-minute and hourly roll-ups, and energy per day.

The tables are narrow on purpose (a composite primary key, no surrogate id, no household
column): they hold most of the rows in the database. Every read goes through a thing found
in the household's scope first (readings.charts), so the thing is the tenant's hop.
"""

from __future__ import annotations

from django.db import models

from devices.models import Thing


class Sample(models.Model):
    """One raw reading of a thing's chart series (kept for READINGS_RAW_HOURS)."""

    pk = models.CompositePrimaryKey("thing_id", "series", "at")
    thing = models.ForeignKey(Thing, on_delete=models.CASCADE, related_name="+")
    series = models.CharField(max_length=32)
    at = models.DateTimeField()
    value = models.FloatField()

    def __str__(self) -> str:
        return f"{self.thing_id} {self.series} {self.at:%Y-%m-%d %H:%M:%S} {self.value:g}"


class Rollup(models.Model):
    """min / mean / max of a series over a `step`-second bucket starting at `at`."""

    FIVE_MINUTES = 300
    HOUR = 3600

    pk = models.CompositePrimaryKey("thing_id", "series", "step", "at")
    thing = models.ForeignKey(Thing, on_delete=models.CASCADE, related_name="+")
    series = models.CharField(max_length=32)
    step = models.IntegerField()
    at = models.DateTimeField()
    low = models.FloatField()
    mean = models.FloatField()
    high = models.FloatField()
    count = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.thing_id} {self.series} {self.step}s {self.at:%Y-%m-%d %H:%M}"


class EnergyDay(models.Model):
    """kWh a meter counted on one day (its household's calendar), per outlet (0 = whole)."""

    thing = models.ForeignKey(Thing, on_delete=models.CASCADE, related_name="+")
    outlet = models.PositiveSmallIntegerField(default=0)
    day = models.DateField()
    kwh = models.FloatField()
    fetched_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thing", "outlet", "day"], name="energy_day_once")
        ]

    def __str__(self) -> str:
        return f"{self.thing_id}/{self.outlet} {self.day} {self.kwh:g} kWh"


class RollupMark(models.Model):
    """How far the roll-up job has summarized, per step: it starts from here next time."""

    step = models.IntegerField(primary_key=True)
    until = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.step}s until {self.until:%Y-%m-%d %H:%M}"
